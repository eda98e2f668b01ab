import type { CreateBeneficiaryRequest } from '../src/caliza';

/** An individual (KYC) beneficiary with every field Caliza documents as required. */
export function sampleIndividual(
  integratorBeneficiaryId: string,
  firstName = 'Jane',
): CreateBeneficiaryRequest {
  return {
    integratorBeneficiaryId,
    type: 'INDIVIDUAL',
    person: {
      firstName,
      lastName: 'Doe',
      dateOfBirth: '1985-11-20',
      citizenship: 'US',
      idNumber: 'D1234567',
      email: `${integratorBeneficiaryId}@example.com`,
      phoneNumber: '+12025550148',
      address: {
        streetOne: '1600 Pennsylvania Avenue NW',
        city: 'Washington',
        zipcode: '20500',
        state: 'DC',
        country: 'US',
      },
    },
  };
}

/** A business (KYB) beneficiary; the fields follow the local sandbox double's documented choice. */
export function sampleBusiness(
  integratorBeneficiaryId: string,
  legalName = 'Acme Payments LLC',
): CreateBeneficiaryRequest {
  return {
    integratorBeneficiaryId,
    type: 'BUSINESS',
    business: {
      legalName,
      registrationNumber: '12-3456789',
      incorporationDate: '2015-03-01',
      incorporationCountry: 'US',
      email: `${integratorBeneficiaryId}@example.com`,
      phoneNumber: '+12025550199',
      address: {
        streetOne: '1 Market Street',
        city: 'San Francisco',
        zipcode: '94105',
        state: 'CA',
        country: 'US',
      },
    },
  };
}
