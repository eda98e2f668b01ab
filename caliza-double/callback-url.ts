/** A webhook URL must be absolute http(s); the empty string means "not set". */
export function callbackUrlProblem(value: string): string | null {
  if (value === '') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Callback url must be an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Callback url must use http or https';
  return null;
}
