/**
 * The verification worker process (`npm run worker`): `verifyBeneficiary` and the Caliza activities,
 * assembled by the service's composition root from the environment. Temporal is reached with its standard
 * environment configuration, so the same process serves the dev server, a self-hosted cluster or Temporal
 * Cloud. SIGINT/SIGTERM drain in-flight work and stop it.
 */
import { exitOnFailure, runService } from './service/run';

export {
  WORKER_TUNING_DEFAULTS,
  createVerificationWorker,
  type VerificationWorkerOptions,
} from './service/verification-worker';
export { installRuntime } from './service/runtime';

if (require.main === module) runService(['worker']).catch(exitOnFailure);
