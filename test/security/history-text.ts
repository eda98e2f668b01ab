import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { runEvents } from '../support/history';

export interface RunRef {
  workflowId: string;
  runId: string;
  status: string;
}

/** What a reader of the namespace can see of one run, as text to search. */
export interface RunTexts {
  run: RunRef;
  /** Every payload, decoded with the codec when one is given (metadata and data as UTF-8). */
  payloads: string[];
  /** The events as JSON, bytes shown as UTF-8: failures, messages, search attributes, memo, metadata. */
  eventsJson: string;
  /** The history exactly as stored, in protobuf encoding (read as Latin-1, so every byte is kept). */
  storedBytes: string;
  /** The describe answer (current search attributes, memo, user metadata) as JSON. */
  describeJson: string;
}

function bytesAsText(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
}

function isPayload(value: unknown): value is Payload {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return record.data instanceof Uint8Array && typeof record.metadata === 'object' && record.metadata !== null;
}

function payloadsIn(value: unknown): Payload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  if (isPayload(value)) return [value];
  return Object.values(value as Record<string, unknown>).flatMap(payloadsIn);
}

function payloadText(payload: Payload): string {
  const metadata = Object.entries(payload.metadata ?? {}).map(
    ([key, bytes]) => `${key}=${Buffer.from(bytes ?? []).toString('utf8')}`,
  );
  return [...metadata, Buffer.from(payload.data ?? []).toString('utf8')].join('\n');
}

/** Every run on the task queue, once visibility lists at least `expected` of them as closed. */
export async function closedRuns(client: Client, taskQueue: string, expected: number): Promise<RunRef[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const runs: RunRef[] = [];
    for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      runs.push({ workflowId: execution.workflowId, runId: execution.runId, status: execution.status.name });
    }
    if (runs.filter((run) => run.status !== 'RUNNING').length >= expected) return runs;
    if (Date.now() > deadline) throw new Error(`only ${runs.length} runs visible on ${taskQueue}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

export async function runTexts(client: Client, run: RunRef, codec?: PayloadCodec): Promise<RunTexts> {
  const events = await runEvents(client, run.workflowId, run.runId);
  const found = payloadsIn(events);
  const decoded = codec ? await codec.decode(found) : found;
  const description = await client.workflow.getHandle(run.workflowId, run.runId).describe();
  return {
    run,
    payloads: decoded.map(payloadText),
    eventsJson: JSON.stringify(events, bytesAsText),
    storedBytes: Buffer.from(temporal.api.history.v1.History.encode({ events }).finish()).toString('latin1'),
    describeJson: JSON.stringify(description.raw, bytesAsText),
  };
}

/**
 * The forms a secret could leak in: as is, URL- and form-encoded, and Base64 / Base64url — at each of the
 * three alignments it can have inside a longer encoded text (only the characters that depend on the
 * secret alone are kept).
 */
export function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
  ]);
  for (const encoding of ['base64', 'base64url'] as const) {
    forms.add(bytes.toString(encoding));
    for (let offset = 0; offset < 3; offset += 1) {
      const shifted = Buffer.concat([Buffer.alloc(offset), bytes])
        .toString(encoding)
        .replace(/=+$/, '');
      const inner = shifted.slice(offset === 0 ? 0 : 4, -4);
      if (inner.length >= 8) forms.add(inner);
    }
  }
  return [...forms];
}
