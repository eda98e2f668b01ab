/**
 * The workflow's wire contract as data (docs/contract.json): what a caller in another language needs,
 * read from the very constants and schemas the TypeScript side uses, with a fingerprint so that a change
 * shows. `npm run contract` writes it; a test keeps the committed file, and docs/contract.md, in step.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { verificationResultSchema, verificationStateSchema } from './api/schemas';
import { RUN_MODE_MEMO_KEY, START_ID_POLICIES } from './client/verification-client';
import {
  CONTRACT_VERSION,
  DEFAULT_TASK_QUEUE,
  INVALID_INPUT_FAILURE_TYPE,
  NO_SESSION_FAILURE_TYPE,
  OUTCOME_OPERATIONS,
  SESSION_STATUSES,
  SESSION_UPDATE_RETRY_TYPE,
  type SessionSummary,
  type VerificationEvent,
  type VerifyBeneficiaryInput,
  WORKFLOW_ID_PREFIX,
  WORKFLOW_TYPE,
  extendDeadlineUpdate,
  getStateQuery,
  sessionUpdate,
  verificationEventSignal,
} from './contracts';
import { SEARCH_ATTRIBUTE_KEYS, beneficiaryIdKey } from './search-attributes';

const pollingSchema = z.object({
  initialIntervalMs: z.number().positive(),
  multiplier: z.number().positive(),
  maxIntervalMs: z.number().positive(),
});

/** What a caller starts a run with; `carried` is the workflow's own, set only by continue-as-new. */
const inputSchema = z.object({
  beneficiaryId: z.string().min(1),
  mode: z.enum(['VERIFY', 'RECORD_OUTCOME']).optional(),
  polling: pollingSchema.partial().optional(),
  deadlineMs: z.number().positive().optional(),
  maxHistoryEventsPerRun: z.int().positive().optional(),
});

const eventSchema = z.object({
  operation: z.enum(OUTCOME_OPERATIONS),
  beneficiaryId: z.string(),
  createdAt: z.string(),
  success: z.boolean().nullable(),
  message: z.string().nullable(),
});

const sessionSummarySchema = z.object({
  verificationUrl: z.string().nullable(),
  status: z.enum(SESSION_STATUSES),
});

const deadlineSchema = z.object({ deadlineAt: z.string() });

/** Compiles only when A and B are the same type: the schemas cannot drift from contracts.ts. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const mirrorsContract: [
  Same<z.infer<typeof inputSchema>, Omit<VerifyBeneficiaryInput, 'carried'>>,
  Same<z.infer<typeof eventSchema>, VerificationEvent>,
  Same<z.infer<typeof sessionSummarySchema>, SessionSummary>,
] = [true, true, true];
void mirrorsContract;

const schema = (value: z.ZodType) => {
  const { $schema: _draft, ...rest } = z.toJSONSchema(value, { io: 'input', reused: 'inline' }) as Record<
    string,
    unknown
  >;
  return rest;
};

export function wireContract(): Record<string, unknown> {
  const contract = {
    version: CONTRACT_VERSION,
    workflowType: WORKFLOW_TYPE,
    defaultTaskQueue: DEFAULT_TASK_QUEUE,
    workflowIdPrefix: WORKFLOW_ID_PREFIX,
    startPolicies: {
      idConflictPolicy: START_ID_POLICIES.conflict,
      idReusePolicy: START_ID_POLICIES.reuse,
      idReusePolicyToReverify: START_ID_POLICIES.reuseToReverify,
    },
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, key.type])),
    startSearchAttribute: beneficiaryIdKey.name,
    memo: { [RUN_MODE_MEMO_KEY]: ['VERIFY', 'RECORD_OUTCOME'] },
    input: schema(inputSchema),
    result: schema(verificationResultSchema),
    signals: { [verificationEventSignal.name]: { args: [schema(eventSchema)] } },
    updates: {
      [sessionUpdate.name]: { args: [], answer: schema(sessionSummarySchema) },
      [extendDeadlineUpdate.name]: { args: [schema(deadlineSchema)], answer: schema(deadlineSchema) },
    },
    queries: { [getStateQuery.name]: { args: [], answer: schema(verificationStateSchema) } },
    failureTypes: {
      [INVALID_INPUT_FAILURE_TYPE]: 'the run: its input names an unusable beneficiary id',
      [NO_SESSION_FAILURE_TYPE]: 'the session update: the run ended without a session',
      [SESSION_UPDATE_RETRY_TYPE]: 'the session update: the run continued as new first; ask the new run',
    },
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(contract)).digest('hex').slice(0, 16);
  return { ...contract, fingerprint };
}

export function wireContractText(): string {
  return `${JSON.stringify(wireContract(), null, 2)}\n`;
}
