/**
 * The webhook receiver process (`npm run webhooks`), assembled by the service's composition root from the
 * environment (docs/webhooks.md). SIGINT/SIGTERM stop it after the requests in flight have been answered.
 */
import { exitOnFailure, runService } from '../service/run';

if (require.main === module) runService(['webhooks']).catch(exitOnFailure);
