/**
 * OpenTelemetry tracing, off unless the standard OTEL_* variables ask for it: one trace follows a webhook
 * from the receiver's span, through the signal (client interceptor), the workflow task (workflow
 * interceptors, in the workflow bundle), the local activity and the Caliza HTTP call. The OTLP exporter
 * reads its own variables (OTEL_EXPORTER_OTLP_ENDPOINT, …_TRACES_ENDPOINT, …_HEADERS, …_TIMEOUT).
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NoopSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { type Env, EnvReader } from '../env-readers';

export type TraceExporterKind = 'otlp' | 'console';

export interface TracingSettings {
  exporter: TraceExporterKind;
  /** OTEL_SERVICE_NAME, or the process's own name. */
  serviceName: string;
}

/**
 * On when OTEL_TRACES_EXPORTER names `otlp` or `console`, or when an OTLP endpoint is set; off when
 * OTEL_SDK_DISABLED is true or OTEL_TRACES_EXPORTER is `none` (or unset, with no endpoint: the default).
 */
export function tracingSettingsFromEnv(env: Env, defaultServiceName: string): TracingSettings | null {
  const read = new EnvReader(env);
  if (read.text('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const exporters = (read.list('OTEL_TRACES_EXPORTER') ?? []).map((entry) => entry.toLowerCase());
  if (exporters.includes('none')) return null;
  const endpoint =
    read.text('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? read.text('OTEL_EXPORTER_OTLP_ENDPOINT');
  const exporter: TraceExporterKind | null = exporters.includes('otlp')
    ? 'otlp'
    : exporters.includes('console')
      ? 'console'
      : exporters.length === 0 && endpoint
        ? 'otlp'
        : null;
  if (exporter === null) return null;
  return { exporter, serviceName: read.text('OTEL_SERVICE_NAME') ?? defaultServiceName };
}

/** The workflow interceptors' module, bundled with the workflow code (dev/workflow-bundle.ts). */
export const WORKFLOW_TRACING_INTERCEPTORS =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** A process's tracer: the global one (so the Caliza client's spans join), and what workers and clients need. */
export class Tracing {
  private constructor(
    private readonly provider: NodeTracerProvider,
    readonly spanProcessor: SpanProcessor,
    readonly resource: Resource,
  ) {}

  /** Registers the global tracer provider, context manager (async hooks) and W3C propagator. */
  static start(options: { serviceName: string; spanProcessor: SpanProcessor }): Tracing {
    const resource = new Resource({ 'service.name': options.serviceName });
    const provider = new NodeTracerProvider({ resource, spanProcessors: [options.spanProcessor] });
    provider.register();
    return new Tracing(provider, options.spanProcessor, resource);
  }

  static fromSettings(settings: TracingSettings): Tracing {
    const exporter = settings.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter();
    return Tracing.start({
      serviceName: settings.serviceName,
      spanProcessor: new BatchSpanProcessor(exporter),
    });
  }

  clientInterceptors(): { workflow: OpenTelemetryWorkflowClientInterceptor[] } {
    return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
  }

  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/**
 * What a worker needs for tracing. The workflow interceptors are in every bundle, so the span sink is
 * registered even with tracing off (its spans then go nowhere); the activity interceptors only with it on.
 */
export function workerTracingOptions(tracing: Tracing | null): Required<Pick<WorkerOptions, 'sinks'>> & {
  activityInterceptors: NonNullable<WorkerOptions['interceptors']>['activity'];
} {
  const processor = tracing?.spanProcessor ?? new NoopSpanProcessor();
  const resource = tracing?.resource ?? Resource.empty();
  return {
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
    activityInterceptors: tracing
      ? [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ]
      : [],
  };
}
