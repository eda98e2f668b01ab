/**
 * Registers the project's custom search attributes on a Temporal namespace through the operator service,
 * adding only the missing ones. The dev server gets them from its command line too; this is what covers a
 * self-hosted cluster, an older SQLite file, and a namespace where someone removed one.
 */
import type { OperatorService } from '@temporalio/client';
import {
  type SearchAttributeKeys,
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
