/**
 * Request headers as any framework hands them over: Node's `IncomingHttpHeaders` (lower-case names) fits,
 * and so does a plain object with names in any letter case.
 */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The value of header `name` (lower case), the first one if it was sent more than once. */
export function headerValue(headers: IncomingHeaders, name: string): string | undefined {
  const exact = headers[name];
  const value =
    exact !== undefined
      ? exact
      : Object.entries(headers).find(
          ([key]) => key.length === name.length && key.toLowerCase() === name,
        )?.[1];
  return typeof value === 'string' ? value : value?.[0];
}
