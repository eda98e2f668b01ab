import http from 'node:http';
import pino from 'pino';
import { SIGNATURE_HEADER, signWebhookBody } from '../../src/caliza/signature';
import type { DeliveryResult } from '../../src/client/verification-client';
import type { VerificationEvent } from '../../src/contracts';
import type { TemporalSettings } from '../../src/service/config';
import type { EventDelivery } from '../../src/webhooks';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
  durationMs: number;
}

/**
 * One HTTP request on a fresh connection (no agent: nothing stays open after a test), with exactly the
 * headers given. A body given as chunks is sent chunked, without a Content-Length.
 */
export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunks?: Buffer[] } = {},
): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: init.method ?? 'POST', headers: init.headers, agent: false });
    request.on('error', reject);
    request.on('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (chunk: Buffer) => parts.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: unknown = undefined;
        if ((response.headers['content-type'] ?? '').includes('json') && text !== '') json = JSON.parse(text);
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text,
          json,
          durationMs: Date.now() - started,
        });
      });
    });
    if (init.chunks) {
      for (const chunk of init.chunks) request.write(chunk);
      request.end();
    } else {
      request.end(init.body);
    }
  });
}

/**
 * Caliza's envelope in its documented field order, serialised once (as Caliza sends it). Any field may be
 * overridden, with any value, to build invalid envelopes too.
 */
export function envelopeBody(fields: Record<string, unknown> = {}): Buffer {
  const beneficiaryId =
    typeof fields.beneficiaryId === 'string' ? fields.beneficiaryId : '6925dd986a93002882da640b';
  return Buffer.from(
    JSON.stringify({
      operation: 'BENEFICIARY_APPROVED',
      resourceId: beneficiaryId,
      createdAt: '2026-01-01T00:05:00.000001',
      integratorId: '6920925fdbadfe09b1bf9e5e',
      beneficiaryId,
      message: null,
      success: true,
      data: {},
      ...fields,
    }),
  );
}

export function signedHeaders(body: Buffer | string, secret: string): Record<string, string> {
  return { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhookBody(body, secret) };
}

/** Posts `body` signed with `secret`. */
export async function postSigned(url: string, body: Buffer, secret: string): Promise<Answer> {
  return send(url, { body, headers: signedHeaders(body, secret) });
}

/** A delivery double: records events and answers as told. */
export class RecordingDelivery implements EventDelivery {
  readonly events: VerificationEvent[] = [];
  answer: (event: VerificationEvent) => Promise<DeliveryResult> = async () => 'ACCEPTED';

  deliverEvent(event: VerificationEvent): Promise<DeliveryResult> {
    this.events.push(event);
    return this.answer(event);
  }
}

/** Logs kept in memory, to assert on what was (and was not) logged. */
export function memoryLogger(): { logger: pino.Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (chunk: string) => {
        chunks.push(chunk);
      },
    },
  );
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Value of one sample in Prometheus text output, e.g. `caliza_webhook_deliveries_total{result="accepted"}`. */
export function sample(metricsText: string, series: string): number {
  for (const line of metricsText.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return Number.NaN;
}

/** The service's Temporal settings for the dev server that the global setup started. */
export function devServerSettings(taskQueue: string): TemporalSettings {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest (global setup)');
  return { connectionOptions: { address }, namespace: 'default', taskQueue };
}
