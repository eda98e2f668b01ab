/**
 * Registers the project's custom search attributes on a Temporal namespace through the operator service,
 * adding only the missing ones. The dev server gets them from its command line too; this is what covers a
 * self-hosted cluster, an older SQLite file, and a namespace where someone removed one.
 */
import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { SEARCH_ATTRIBUTE_KEYS } from '../search-attributes';

type OperatorService = Connection['operatorService'];

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

/** gRPC codes that mean "this service does not let you add search attributes this way" (Temporal Cloud). */
const NOT_ALLOWED_CODES = new Set([7 /* PERMISSION_DENIED */, 12 /* UNIMPLEMENTED */]);

export async function registerSearchAttributes(
  operatorService: OperatorService,
  namespace: string,
  keys: readonly SearchAttributeKey<SearchAttributeType>[] = SEARCH_ATTRIBUTE_KEYS,
): Promise<SearchAttributeRegistration> {
  const existing = (await operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  const added: string[] = [];
  const present: string[] = [];
  const missing: Record<string, number> = {};
  for (const key of keys) {
    const wanted = indexedValueType(key.type);
    const current = existing[key.name];
    if (current === undefined || current === null) {
      missing[key.name] = wanted;
      added.push(key.name);
    } else if (current !== wanted) {
      // Changing a registered type would break every query and upsert already using it: say so, never guess.
      throw new SearchAttributeRegistrationError(
        `search attribute ${key.name} is registered in namespace ${namespace} with another type ` +
          `(${String(current)}, expected ${key.type}); remove it or use another namespace`,
      );
    } else {
      present.push(key.name);
    }
  }
  if (added.length > 0) {
    try {
      await operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && NOT_ALLOWED_CODES.has(code)) {
        throw new SearchAttributeRegistrationError(
          `this Temporal service does not allow adding search attributes through the API (${added.join(', ')} ` +
            `missing in ${namespace}); on Temporal Cloud add them with tcld or the Cloud UI: ` +
            added.map((name) => `${name}=${typeName(keys, name)}`).join(' '),
        );
      }
      throw err;
    }
  }
  return { namespace, added, present };
}

function indexedValueType(type: SearchAttributeType): number {
  const encoded = encodeSearchAttributeIndexedValueType(type);
  if (encoded === undefined) throw new Error(`unknown search attribute type ${type}`);
  return encoded;
}

function typeName(keys: readonly SearchAttributeKey<SearchAttributeType>[], name: string): string {
  const type = keys.find((key) => key.name === name)?.type ?? '';
  return type
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
