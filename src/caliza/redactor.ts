export const REDACTED = '[REDACTED]';

/** Substring scrubbing of very short values would mangle every message while protecting nothing. */
const MIN_SECRET_LENGTH = 4;
/** Tokens rotate every few hours at most; remembering a handful covers any still in flight. */
const MAX_REMEMBERED_TOKENS = 8;

/**
 * Defence in depth for text that comes from outside (Caliza's error messages, Keycloak's descriptions):
 * if a server ever echoes a credential back, it is replaced before the text reaches an error or a log.
 */
export class SecretRedactor {
  private readonly fixed = new Set<string>();
  private readonly tokens: string[] = [];

  constructor(secrets: readonly string[] = []) {
    for (const secret of secrets) this.addSecret(secret);
  }

  addSecret(secret: string): void {
    if (secret.length >= MIN_SECRET_LENGTH) this.fixed.add(secret);
  }

  addToken(token: string): void {
    if (token.length < MIN_SECRET_LENGTH || this.tokens.includes(token)) return;
    this.tokens.push(token);
    if (this.tokens.length > MAX_REMEMBERED_TOKENS) this.tokens.shift();
  }

  redact(text: string): string {
    let out = text;
    for (const secret of [...this.fixed, ...this.tokens]) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }
}
