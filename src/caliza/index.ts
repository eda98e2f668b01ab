export { beneficiaryIdProblem, isUsableBeneficiaryId, pathSegmentProblem } from './beneficiary-id';
export { CalizaClient, type CalizaCallOptions, type CalizaClientOptions } from './client';
export {
  CALIZA_ENV_VARS,
  CALIZA_TOKEN_PATH,
  CalizaConfigError,
  DEFAULT_CALIZA_API_BASE_URL,
  DEFAULT_CALIZA_TIMEOUT_MS,
  DEFAULT_CALIZA_TOKEN_REFRESH_MARGIN_MS,
  loadCalizaConfig,
  type CalizaConfig,
  type CalizaEnvVar,
  type CalizaEnvVarName,
} from './config';
export {
  CalizaApiError,
  CalizaInvalidIdError,
  CalizaNetworkError,
  CalizaUnexpectedResponseError,
  type CalizaEndpoint,
  type CalizaError,
  type CalizaNetworkReason,
  type HttpMethod,
} from './errors';
export { silentLogger, type CalizaLogger } from './logger';
export { CalizaMetrics, calizaRoute } from './metrics';
export { REDACTED, SecretRedactor } from './redactor';
export { parseVerificationSession, type Parsed } from './responses';
export { parseRetryAfter } from './retry-after';
export {
  PasswordGrantTokenProvider,
  type TokenProvider,
  type TokenProviderOptions,
  type TokenSettings,
} from './token-provider';
export type {
  Beneficiary,
  BeneficiaryAddress,
  BeneficiaryPerson,
  BeneficiaryStatus,
  BusinessDetails,
  CreateBeneficiaryRequest,
  CreateBusinessBeneficiaryRequest,
  CreateIndividualBeneficiaryRequest,
  Integrator,
} from './types';
