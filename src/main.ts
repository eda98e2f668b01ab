/**
 * One entry for every production process: `node dist/main.js worker`, `… webhooks`, `… codec-server`,
 * `… api`, or several at once (`… worker webhooks api`), each assembled by the same composition root;
 * `… ops <command>…` runs an operator command, so that one container image serves them all, chosen by its command.
 */
import { SERVICE_PARTS, type ServicePart } from './service/config';
import { exitOnFailure, runService } from './service/run';

const USAGE = `usage: main <part>… where part is ${SERVICE_PARTS.join(', ')}; or main ops <command>…`;

function partsFrom(args: readonly string[]): ServicePart[] {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) throw new Error(USAGE);
  const unknown = args.filter((arg) => !(SERVICE_PARTS as readonly string[]).includes(arg));
  if (unknown.length > 0) throw new Error(`unknown part ${unknown.join(', ')}; ${USAGE}`);
  return [...new Set(args as ServicePart[])];
}

if (require.main === module) {
  const [first, ...rest] = process.argv.slice(2);
  if (first === 'ops') {
    // Loaded only here: the service's processes need none of the operator commands.
    void import('./ops/main').then(({ runOpsCommandLine }) => runOpsCommandLine(rest));
  } else {
    Promise.resolve()
      .then(() => runService(partsFrom(process.argv.slice(2))))
      .catch(exitOnFailure);
  }
}
