export { verifyBeneficiary } from './verify-beneficiary';
