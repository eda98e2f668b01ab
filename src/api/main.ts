/**
 * The HTTP API process (`npm run api`), assembled by the service's composition root from the environment
 * (docs/http-api.md). SIGINT/SIGTERM stop it after the requests in flight have been answered.
 */
import { exitOnFailure, runService } from '../service/run';

if (require.main === module) runService(['api']).catch(exitOnFailure);
