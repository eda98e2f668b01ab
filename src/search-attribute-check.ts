/**
 * Whether a namespace has every custom search attribute this service upserts, each with its type. Without
 * them a start fails, a webhook's signal-with-start fails, and a workflow task that upserts a missing one
 * fails and is retried for ever; so the worker refuses to start and the receiver's `/readyz` says not ready
 * instead. The Java time-skipping test server has no `ListSearchAttributes`: nothing there calls this.
 */
import type { OperatorService } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import {
  type SearchAttributeKey,
  encodeSearchAttributeIndexedValueType,
} from '@temporalio/common/lib/search-attributes';
import { SEARCH_ATTRIBUTE_KEYS } from './search-attributes';

export type SearchAttributeKeys = readonly SearchAttributeKey<SearchAttributeType>[];

export interface SearchAttributeProblem {
  name: string;
  expected: SearchAttributeType;
  /** The type it is registered with; null when it is not registered at all. */
  registered: SearchAttributeType | 'UNKNOWN' | null;
}

/** The command that registers what is missing (it refuses to change a registered type). */
export const REGISTER_SEARCH_ATTRIBUTES_COMMAND = 'npm run register-search-attributes';

/** Every key of `keys` that `namespace` lacks or has with another type; empty when all is well. */
export async function searchAttributeProblems(
  operatorService: OperatorService,
  namespace: string,
  keys: SearchAttributeKeys = SEARCH_ATTRIBUTE_KEYS,
): Promise<SearchAttributeProblem[]> {
  const existing = (await operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  const problems: SearchAttributeProblem[] = [];
  for (const key of keys) {
    const current = existing[key.name];
    if (current === undefined || current === null) {
      problems.push({ name: key.name, expected: key.type, registered: null });
    } else if (current !== indexedValueType(key.type)) {
      problems.push({
        name: key.name,
        expected: key.type,
        registered:
          Object.values(SearchAttributeType).find((type) => indexedValueType(type) === current) ?? 'UNKNOWN',
      });
    }
  }
  return problems;
}

/** `BeneficiaryId, VerificationKind (registered as Text, expected Keyword)`. */
export function describeSearchAttributeProblems(problems: readonly SearchAttributeProblem[]): string {
  return problems
    .map((problem) =>
      problem.registered === null
        ? problem.name
        : `${problem.name} (registered as ${typeName(problem.registered)}, expected ${typeName(problem.expected)})`,
    )
    .join(', ');
}

/** One line for a process that cannot run without them: what is wrong, where, and the fix. */
export function searchAttributeProblemLine(namespace: string, problems: readonly SearchAttributeProblem[]) {
  return (
    `search attributes missing in namespace ${namespace}: ${describeSearchAttributeProblems(problems)}; ` +
    `run \`${REGISTER_SEARCH_ATTRIBUTES_COMMAND}\` with the same Temporal settings, then start again`
  );
}

/**
 * gRPC codes that mean "this service cannot answer the question" rather than "the attributes are missing":
 * UNIMPLEMENTED (the Java test server) and PERMISSION_DENIED (a key without operator rights).
 */
const CANNOT_CHECK_CODES = new Set([7 /* PERMISSION_DENIED */, 12 /* UNIMPLEMENTED */]);

export function cannotCheckSearchAttributes(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && CANNOT_CHECK_CODES.has(code);
}

export function indexedValueType(type: SearchAttributeType): number {
  const encoded = encodeSearchAttributeIndexedValueType(type);
  if (encoded === undefined) throw new Error(`unknown search attribute type ${type}`);
  return encoded;
}

/** `KEYWORD_LIST` → `KeywordList`, as the CLI and the Cloud UI spell types. */
export function typeName(type: SearchAttributeType | 'UNKNOWN'): string {
  return type
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
