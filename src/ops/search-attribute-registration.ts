/**
 * Registers the project's custom search attributes on a Temporal namespace through the operator service,
 * adding only the missing ones. The dev server gets them from its command line too; this is what covers a
 * self-hosted cluster, an older SQLite file, and a namespace where someone removed one.
 */
import type { OperatorService } from '@temporalio/client';
import {
  type SearchAttributeKeys,
  type SearchAttributeProblem,
  cannotCheckSearchAttributes,
  indexedValueType,
  searchAttributeProblems,
  typeName,
} from '../search-attribute-check';
import { SEARCH_ATTRIBUTE_KEYS } from '../search-attributes';

export interface SearchAttributeRegistration {
  namespace: string;
  /** Names this call added. */
  added: string[];
  /** Names that were already registered with the right type. */
  present: string[];
}

export class SearchAttributeRegistrationError extends Error {
  override readonly name = 'SearchAttributeRegistrationError';
}

export async function registerSearchAttributes(
  operatorService: OperatorService,
  namespace: string,
  keys: SearchAttributeKeys = SEARCH_ATTRIBUTE_KEYS,
): Promise<SearchAttributeRegistration> {
  const problems = await searchAttributeProblems(operatorService, namespace, keys);
  const wrongType = problems.find((problem) => problem.registered !== null);
  if (wrongType) {
    // Changing a registered type would break every query and upsert already using it: say so, never guess.
    throw new SearchAttributeRegistrationError(
      `search attribute ${wrongType.name} is registered in namespace ${namespace} with another type ` +
        `(${String(wrongType.registered)}, expected ${wrongType.expected}); remove it or use another namespace`,
    );
  }
  const added = problems.map((problem) => problem.name);
  const present = keys.map((key) => key.name).filter((name) => !added.includes(name));
  if (added.length > 0) {
    const missing = Object.fromEntries(
      problems.map((problem) => [problem.name, indexedValueType(problem.expected)]),
    );
    try {
      await operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    } catch (err) {
      const full = columnsExhausted(err);
      if (full) throw await noRoomError(operatorService, namespace, problems, full);
      if (cannotCheckSearchAttributes(err)) {
        throw new SearchAttributeRegistrationError(
          `this Temporal service does not allow adding search attributes through the API (${added.join(', ')} ` +
            `missing in ${namespace}); on Temporal Cloud add them with tcld or the Cloud UI: ` +
            problems.map((problem) => `${problem.name}=${typeName(problem.expected)}`).join(' '),
        );
      }
      throw err;
    }
  }
  return { namespace, added, present };
}

/**
 * SQL visibility (PostgreSQL, MySQL, SQLite: the dev server too) maps each namespace's custom search
 * attributes onto pre-made columns, e.g. 10 Keyword and 3 Datetime; the server refuses a registration that
 * does not fit with `Unable to create search attributes: cannot have more than 10 search attribute of type
 * Keyword.` and adds none of them.
 */
function columnsExhausted(err: unknown): { limit: number; typeName: string } | null {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 3 /* INVALID_ARGUMENT */ || typeof message !== 'string') return null;
  const match = /cannot have more than (\d+) search attribute of type (\w+)/.exec(message);
  return match ? { limit: Number(match[1]), typeName: match[2] ?? '' } : null;
}

/** Names the attributes that hold the type's columns, so an operator can tell which are unused. */
async function noRoomError(
  operatorService: OperatorService,
  namespace: string,
  problems: readonly SearchAttributeProblem[],
  { limit, typeName: fullType }: { limit: number; typeName: string },
): Promise<SearchAttributeRegistrationError> {
  const wanted = problems.filter((problem) => typeName(problem.expected) === fullType);
  const registered = (await operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  const column = wanted[0] ? indexedValueType(wanted[0].expected) : undefined;
  const holders = Object.entries(registered)
    .filter(([, type]) => type === column)
    .map(([name]) => name)
    .sort();
  return new SearchAttributeRegistrationError(
    `namespace ${namespace} has no room for ${wanted.map((p) => p.name).join(', ')}: it allows ${limit} ${fullType} search ` +
      `attributes and ${holders.length} are registered (${holders.join(', ')}); remove unused ones with ` +
      `\`temporal operator search-attribute remove -n ${namespace} --name <name>\` or use another namespace`,
  );
}
