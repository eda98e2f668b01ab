/**
 * The custom search attributes operators filter on, declared once: the workflow upserts them, and the
 * registration command and the dev server launcher register exactly this list.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';

export const beneficiaryIdKey = defineSearchAttributeKey('BeneficiaryId', SearchAttributeType.KEYWORD);
/** KYC or KYB. */
export const verificationKindKey = defineSearchAttributeKey('VerificationKind', SearchAttributeType.KEYWORD);
/** Caliza session status, or NOT_CREATED. */
export const verificationStatusKey = defineSearchAttributeKey(
  'VerificationStatus',
  SearchAttributeType.KEYWORD,
);
/** APPROVED, FAILED, EXPIRED or CANCELLED; absent while undecided. */
export const verificationOutcomeKey = defineSearchAttributeKey(
  'VerificationOutcome',
  SearchAttributeType.KEYWORD,
);
export const verificationDeadlineKey = defineSearchAttributeKey(
  'VerificationDeadline',
  SearchAttributeType.DATETIME,
);

export const SEARCH_ATTRIBUTE_KEYS: readonly SearchAttributeKey<SearchAttributeType>[] = [
  beneficiaryIdKey,
  verificationKindKey,
  verificationStatusKey,
  verificationOutcomeKey,
  verificationDeadlineKey,
];

/** `Name=Type` pairs as `temporal server start-dev --search-attribute` takes them. */
export function searchAttributeCliArgs(): string[] {
  const typeNames: Record<SearchAttributeType, string> = {
    [SearchAttributeType.TEXT]: 'Text',
    [SearchAttributeType.KEYWORD]: 'Keyword',
    [SearchAttributeType.INT]: 'Int',
    [SearchAttributeType.DOUBLE]: 'Double',
    [SearchAttributeType.BOOL]: 'Bool',
    [SearchAttributeType.DATETIME]: 'Datetime',
    [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  };
  return SEARCH_ATTRIBUTE_KEYS.flatMap((key) => ['--search-attribute', `${key.name}=${typeNames[key.type]}`]);
}
