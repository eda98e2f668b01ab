export {
  CALIZA_FAILURE_TYPES,
  httpFailureType,
  toApplicationFailure,
  type CalizaFailureDetails,
} from './caliza-failures';
export {
  createActivities,
  type ActivityDependencies,
  type VerificationActivities,
  type VerificationSessionApi,
} from './verification-activities';
