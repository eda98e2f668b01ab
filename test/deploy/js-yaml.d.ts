// The one function of js-yaml (a development dependency without bundled types) that the tests use.
declare module 'js-yaml' {
  export function loadAll(text: string): unknown[];
}
