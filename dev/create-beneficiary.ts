/**
 * `npm run create-beneficiary -- individual|business`: creates a beneficiary on the Caliza sandbox double
 * that `npm start` runs, so the quick start has one to verify, and prints one JSON line with its id.
 */
import { randomBytes } from 'node:crypto';
import { sampleBusiness, sampleIndividual } from './sample-beneficiaries';
import { connectSandboxCaliza } from './sandbox-caliza';

const USAGE = 'usage: npm run create-beneficiary -- individual|business';

async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && ['--help', '-h', 'help'].includes(argv[0] ?? '')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [kind, ...extra] = argv;
  if ((kind !== 'individual' && kind !== 'business') || extra.length > 0) {
    process.stderr.write(`error: expected individual or business; ${USAGE}\n`);
    return 2;
  }
  const { caliza } = await connectSandboxCaliza(
    process.env,
    'create-beneficiary',
    'On the real Caliza, create beneficiaries with your own backend (POST /v1/beneficiaries).',
  );
  // Caliza refuses a second beneficiary with the same integratorBeneficiaryId.
  const integratorBeneficiaryId = `quickstart-${kind}-${randomBytes(4).toString('hex')}`;
  const request =
    kind === 'individual'
      ? sampleIndividual(integratorBeneficiaryId)
      : sampleBusiness(integratorBeneficiaryId);
  const beneficiary = await caliza.createBeneficiary(request);
  process.stdout.write(
    `${JSON.stringify({
      beneficiaryId: beneficiary.id,
      type: beneficiary.type,
      integratorBeneficiaryId: beneficiary.integratorBeneficiaryId,
      status: beneficiary.status,
    })}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}\n`);
    process.exit(1);
  },
);
