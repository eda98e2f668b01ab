import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import { CalizaClient } from '../../src/caliza';
import { embeddedConfig, webhookSettings } from '../../src/service/config';
import { VerificationService } from '../../src/service/service';
import { Tracing, tracingSettingsFromEnv } from '../../src/service/tracing';
import {
  calizaConfigFor,
  decideAtSandbox,
  eventually,
  silentLogger,
  withSandboxAndDevServer,
} from '../stack/support';
import { uniqueTaskQueue, workflowBundle } from '../support/temporal';

describe('tracing switches (standard OTEL_* variables)', () => {
  it('is off by default and on with an exporter or an OTLP endpoint', () => {
    expect(tracingSettingsFromEnv({}, 'caliza-kyc-worker')).toBeNull();
    expect(tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'none' }, 'x')).toBeNull();
    expect(
      tracingSettingsFromEnv({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, 'x'),
    ).toBeNull();
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'w')).toEqual({
      exporter: 'otlp',
      serviceName: 'w',
    });
    expect(
      tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'console', OTEL_SERVICE_NAME: 'kyc' }, 'w'),
    ).toEqual({ exporter: 'console', serviceName: 'kyc' });
  });
});

describe('one trace from a webhook to the Caliza call it causes, against the dev server', () => {
  const context = withSandboxAndDevServer();

  it('links the receiver span, the signal, the workflow task, the local activity and the HTTP call', async () => {
    const { sandbox } = context;
    const exporter = new InMemorySpanExporter();
    const tracing = Tracing.start({
      serviceName: 'trace-test',
      spanProcessor: new SimpleSpanProcessor(exporter),
    });
    const taskQueue = uniqueTaskQueue('tracing');
    const service = new VerificationService(
      embeddedConfig({
        temporal: {
          connectionOptions: { address: process.env.TEST_TEMPORAL_ADDRESS ?? '' },
          namespace: 'default',
          taskQueue,
        },
        caliza: calizaConfigFor(sandbox),
        webhooks: webhookSettings({ port: 0, host: '127.0.0.1' }),
        workflowBundlePath: workflowBundle().codePath,
      }),
      { logger: silentLogger, tracing },
    );
    try {
      await service.startWorker();
      const receiver = await service.startWebhooks();
      const caliza = new CalizaClient(calizaConfigFor(sandbox));
      await caliza.setWebhookUrl((await caliza.getIntegrator()).id, receiver.url);
      const verifications = await service.verifications();
      const beneficiary = await caliza.createBeneficiary(sampleIndividual('tracing'));
      await verifications.start(beneficiary.id);
      expect(await decideAtSandbox(sandbox, beneficiary.id, 'approve')).toBe(202);
      expect(await verifications.result(beneficiary.id)).toMatchObject({ decidedBy: 'WEBHOOK' });

      // Walk up from the Caliza call the webhook caused (the confirming read) to the root of its trace.
      const byId = (spans: ReadableSpan[]) => new Map(spans.map((span) => [span.spanContext().spanId, span]));
      const chain = await eventually(async () => {
        const spans = exporter.getFinishedSpans();
        const ids = byId(spans);
        for (const span of spans.filter((s) => s.name === 'Caliza GET /v1/beneficiaries/{id}/verification')) {
          const names: string[] = [];
          for (let at: ReadableSpan | undefined = span; at; at = ids.get(at.parentSpanId ?? '')) {
            expect(at.spanContext().traceId).toBe(span.spanContext().traceId);
            names.unshift(at.name);
          }
          if (names[0] === 'POST /webhooks/caliza') return names;
        }
        return undefined;
      }, 'a Caliza read whose trace starts at the webhook');
      expect(chain).toEqual([
        'POST /webhooks/caliza',
        // The receiver signals with start, so that an event for a verification not started yet still lands.
        'SignalWithStartWorkflow:verifyBeneficiary',
        'HandleSignal:verificationEvent',
        'StartActivity:readVerificationSession',
        'RunActivity:readVerificationSession',
        'Caliza GET /v1/beneficiaries/{id}/verification',
      ]);
    } finally {
      await service.close();
      await tracing.shutdown();
    }
  });
});
