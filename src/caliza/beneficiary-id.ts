/**
 * Which ids can stand as one segment of a Caliza URL path. Pure and free of imports, so the workflow's input
 * check, the client and the activities apply one rule.
 */

/** Half of a surrogate pair without the other half: `encodeURIComponent` throws a URIError on it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` cannot be a path segment of a Caliza URL, or null when it can. */
export function pathSegmentProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.trim().length === 0) return 'must not be empty or blank';
  // URL parsing resolves these away: `/v1/beneficiaries/../verification` names another resource.
  if (value === '.' || value === '..') return 'must not be "." or ".."';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (no lone surrogate)';
  return null;
}

/** Why Caliza could never be asked about this beneficiary id, or null when it can. */
export function beneficiaryIdProblem(beneficiaryId: unknown): string | null {
  return pathSegmentProblem(beneficiaryId);
}

export function isUsableBeneficiaryId(beneficiaryId: unknown): beneficiaryId is string {
  return beneficiaryIdProblem(beneficiaryId) === null;
}
