import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  beneficiaryIdProblem,
  isUsableBeneficiaryId,
  pathSegmentProblem,
} from '../../src/caliza/beneficiary-id';

/** What the client builds from an id, or null when encoding throws or URL parsing changes the path. */
function pathAfterParsing(id: string): string | null {
  let encoded: string;
  try {
    encoded = encodeURIComponent(id);
  } catch {
    return null;
  }
  const path = `/core-api/v1/beneficiaries/${encoded}/verification`;
  return new URL(`https://api.example.test${path}`).pathname === path ? path : null;
}

describe('beneficiary ids', () => {
  it.each(['6925dd986a93002882da640b', 'a b/c?d', '...', '.a', 'a.', '%2e%2e', ' x ', 'é😀'])(
    'accepts %p',
    (id) => {
      expect(beneficiaryIdProblem(id)).toBeNull();
      expect(isUsableBeneficiaryId(id)).toBe(true);
    },
  );

  it.each([
    ['', 'must not be empty or blank'],
    ['   ', 'must not be empty or blank'],
    ['.', 'must not be "." or ".."'],
    ['..', 'must not be "." or ".."'],
    ['a\uD800', 'must be well-formed Unicode (no lone surrogate)'],
    ['\uDFFFb', 'must be well-formed Unicode (no lone surrogate)'],
    [42, 'must be a string'],
    [null, 'must be a string'],
  ])('refuses %p: %s', (id, problem) => {
    expect(beneficiaryIdProblem(id)).toBe(problem);
    expect(isUsableBeneficiaryId(id)).toBe(false);
  });

  it('accepts exactly the non-blank ids that encode and keep their place in the URL path', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const id = fc.oneof(
      fc.string({ unit: codeUnit, maxLength: 6 }),
      fc.string({ unit: fc.constantFrom('.', ' ', '/', '%', '\uD83D', '\uDE00', 'a'), maxLength: 4 }),
    );
    fc.assert(
      fc.property(id, (value) => {
        const usable = value.trim().length > 0 && pathAfterParsing(value) !== null;
        expect(isUsableBeneficiaryId(value)).toBe(usable);
      }),
      { numRuns: 2000 },
    );
  });

  it('is the rule for every path segment the client sends', () => {
    expect(pathSegmentProblem('..')).toBe(beneficiaryIdProblem('..'));
  });

  it('imports nothing, so workflow code can use it', () => {
    const source = readFileSync(join(__dirname, '../../src/caliza/beneficiary-id.ts'), 'utf8');
    expect(source).not.toMatch(/\bimport\b|\brequire\(/);
  });
});
