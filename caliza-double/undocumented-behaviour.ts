/**
 * Every behaviour of the double that Caliza's documentation leaves open, in one list: what the gap is
 * and what the double does. docs/caliza-double.md mirrors this list; the constants below are the values the
 * code uses for these choices, so changing a choice starts here.
 */

export interface UndocumentedChoice {
  id: string;
  gap: string;
  choice: string;
}

/** HTTP statuses Caliza does not document for successful calls. */
export const SUCCESS_STATUS = {
  beneficiaryCreated: 201,
  sessionCreated: 201,
  sessionReturned: 200,
  webhookSecretRotated: 200,
} as const;

/** Beneficiary `status` after the outcome (only PENDING is documented). */
export const BENEFICIARY_STATUS_APPROVED = 'APPROVED' as const;
export const BENEFICIARY_STATUS_FAILED = 'FAILED' as const;

/** `message` of a BENEFICIARY_FAILED webhook when the decision gave no reason. */
export const DEFAULT_FAILURE_REASON =
  'Identity verification failed: the submitted document could not be verified';

/** Path of the hosted page behind each session's `verificationUrl`. */
export const HOSTED_PAGE_PREFIX = '/hosted/verification';

export const UNDOCUMENTED_BEHAVIOUR: readonly UndocumentedChoice[] = [
  {
    id: 'token.errors',
    gap: 'Token endpoint error bodies are not documented (standard Keycloak behaviour assumed).',
    choice:
      'Wrong username/password: 401 {"error":"invalid_grant","error_description":"Invalid user credentials"}. ' +
      'Wrong client_id/client_secret: 401 {"error":"unauthorized_client","error_description":"Invalid client or ' +
      'Invalid client credentials"}. Missing grant_type or a non-form body: 400 invalid_request. Other grant ' +
      'types: 400 unsupported_grant_type. grant_type=refresh_token is supported (Keycloak standard); a bad or ' +
      'expired refresh token gives 400 invalid_grant.',
  },
  {
    id: 'token.lifetime',
    gap: 'Token lifetime in the current realm is not documented.',
    choice:
      'expires_in defaults to 36000 s and refresh_expires_in to 1800 s (the documented legacy example); both ' +
      'are options. Tokens are JWTs (HS256, Keycloak-style claims); exp carries the exact lifetime, so ' +
      'sub-second lifetimes work in tests (expires_in is then rounded up).',
  },
  {
    id: 'api.unauthorized',
    gap: 'The 401 body for a missing, invalid or expired token is not documented.',
    choice:
      '401 with an empty body. Missing token: header WWW-Authenticate: Bearer. Bad or expired token: ' +
      'WWW-Authenticate: Bearer error="invalid_token", error_description="Jwt expired" (or another reason), ' +
      'in the style of a Spring resource server.',
  },
  {
    id: 'webhooks.config',
    gap: 'Body of PATCH /v1/integrators/{id}/webhooks and the response of both webhook-config calls.',
    choice:
      'Body {"callbackUrl": "https://…"}, an absolute http(s) URL ("" clears it). Both calls answer 200 ' +
      '{"integratorId","callbackUrl"}. The integrator object (GET /v1/integrators/me) shows the same callbackUrl.',
  },
  {
    id: 'webhooks.secret',
    gap: 'What GET …/webhook-secret returns ("encrypted secret") and what rotation answers.',
    choice:
      'GET answers 200 {"secret": "whsec_…"}: the plain key used for the HMAC (whsec_ and 48 hex characters ' +
      'unless configured), nothing to decrypt. POST ' +
      '…/update-webhook-secret answers 200 {"secret": …} with the new value; the old secret stops signing at once, ' +
      'including retries of earlier events (each attempt is signed with the secret current when it is sent).',
  },
  {
    id: 'integrator.mismatch',
    gap: 'Calling an integrator path with another integrator id.',
    choice: '404 integrator.not_found (coded error body).',
  },
  {
    id: 'integrator.me',
    gap: 'The integrator object is only partly shown (cut off after credentials).',
    choice: 'Fields as documented with sandbox values; "credentials" is {"clientId": …} (never a secret).',
  },
  {
    id: 'beneficiary.create',
    gap: 'Success status of POST /v1/beneficiaries, validation status and check order, integratorId in the body.',
    choice:
      '201 with the beneficiary object. Checks run in this order: body validation (400 {"errors":[…]}), ' +
      'webhook URL set (412 callback_url.not_set), duplicate integratorBeneficiaryId (409 beneficiary.conflict). ' +
      "An integratorId in the body is optional but must be the caller's own when given. Unknown fields are ignored.",
  },
  {
    id: 'beneficiary.business',
    gap: 'The fields of the BUSINESS "business" object are not retrieved.',
    choice:
      'Required: legalName, registrationNumber, incorporationDate (YYYY-MM-DD), incorporationCountry (ISO-2), ' +
      'email, phoneNumber (+ and 6–20 digits), address {streetOne, city, zipcode, state (≤3), country (ISO-2), ' +
      'streetTwo?}. Optional: tradeName, website, contacts [{firstName, lastName, email, phoneNumber?}] (≤20).',
  },
  {
    id: 'beneficiary.representation',
    gap: 'Fields of GET /v1/beneficiaries/{id} beyond the create response.',
    choice:
      'Create, GET and webhook "data" all return the documented beneficiary fields plus the submitted "person" ' +
      'or "business" object. createdDate has nanosecond precision with a Z, as in the documented example.',
  },
  {
    id: 'beneficiary.status',
    gap: 'Beneficiary status values beyond PENDING, and kycVerified semantics.',
    choice:
      'PENDING until an outcome (also while the session is PROCESSING), then APPROVED with kycVerified=true or ' +
      'FAILED with kycVerified=false. A new session after FAILED puts the beneficiary back to PENDING.',
  },
  {
    id: 'beneficiary.rejection_reason',
    gap:
      'The verification page says a FAILED session\'s reason is in "the beneficiary status", but no field ' +
      'for it is documented (transactions carry rejectionReason; nothing is found for beneficiaries).',
    choice:
      'GET /v1/beneficiaries/{id} (and webhook "data") carries "rejectionReason" while the status is FAILED: ' +
      "the decision's reason, or the default sentence, the same text as the BENEFICIARY_FAILED message. The " +
      'field is left out otherwise, as Caliza leaves out null fields, and cleared by a new session.',
  },
  {
    id: 'beneficiary.not_found',
    gap: 'Ids that are not 24-hex.',
    choice: 'Treated like any unknown id: 404 beneficiary.not_found.',
  },
  {
    id: 'verification.autostart',
    gap: '"Creating a beneficiary starts KYX" vs. the explicit POST …/verification.',
    choice: 'Creating a beneficiary does not create a session; POST …/verification does.',
  },
  {
    id: 'verification.none',
    gap: 'GET …/verification when the beneficiary has no session yet.',
    choice: '404 verification.not_found (coded error body).',
  },
  {
    id: 'verification.create',
    gap: 'POST …/verification status codes and behaviour outside PENDING; body fields.',
    choice:
      '201 when a session is created, 200 when an existing one is returned. PENDING, PROCESSING and SUCCEEDED: ' +
      'the current session is returned unchanged. FAILED: a new PENDING session is created (a retry). The body ' +
      'is optional (an empty body with Content-Type: application/json is accepted); its content is ignored and ' +
      'the mode is always INTERACTIVE. The session type is the beneficiary type.',
  },
  {
    id: 'verification.url',
    gap: 'What the verificationUrl points to, and its expiry.',
    choice:
      'An absolute URL on the double, {publicUrl}/hosted/verification/{sessionId}; null once the session leaves ' +
      'PENDING; it does not expire. A decision on a session that is not PENDING answers 409 verification.not_pending.',
  },
  {
    id: 'verification.transitions',
    gap: 'Whether PROCESSING is visible and how long it lasts.',
    choice:
      'A decision moves the session to PROCESSING at once; after processingDelayMs it becomes SUCCEEDED or ' +
      'FAILED, the beneficiary follows and exactly one outcome webhook is emitted (before injected faults).',
  },
  {
    id: 'webhook.payload',
    gap: 'data, message and success of BENEFICIARY_APPROVED / BENEFICIARY_FAILED; createdAt zone.',
    choice:
      'resourceId = beneficiaryId; data = the beneficiary object after the outcome; success true/false; message ' +
      "null on approval, the failure reason on failure (the decision's reason, or a default sentence). createdAt " +
      'is UTC written without a zone, with microseconds, as in the documented example. No event id is added.',
  },
  {
    id: 'webhook.delivery',
    gap: 'Retry policy, timeout, what counts as failure, request headers.',
    choice:
      'Any 2xx acknowledges. Any other status, a network error or no status line within 5 s fails the attempt. ' +
      '6 attempts in all; retry n waits 1 s × 2^(n-1), capped at 60 s, no jitter (all configurable). Headers: ' +
      'Content-Type: application/json, User-Agent: caliza-sandbox-double/1, X-Caliza-Webhook-Signature. Retries ' +
      'and injected duplicates send the same bytes. Deliveries are concurrent; order is not guaranteed.',
  },
  {
    id: 'errors.format',
    gap: 'traceId format, whether path includes /core-api, unknown routes, malformed JSON, media types.',
    choice:
      'traceId: 16 hex characters. path: the request path after /core-api, without query (as in the example). ' +
      'Malformed JSON: 400 {"errors":["Malformed JSON request"]}. Unknown /core-api route: 404 resource.not_found. ' +
      'Unsupported Content-Type: 415 request.unsupported_media_type.',
  },
  {
    id: 'faults.api',
    gap: 'Caliza documents no 429 and no 5xx body.',
    choice:
      'Injected answers are decided before authentication and have no effect on state. 429: coded ' +
      'rate_limit.exceeded with Retry-After in seconds. 5xx (500/502/503 by default): coded internal.error or ' +
      'service.unavailable. Both carry an extra X-Sandbox-Fault header. The token endpoint is spared unless ' +
      'includeTokenEndpoint is set.',
  },
  {
    id: 'sandbox.approve',
    gap: 'The path of Caliza\'s "Approve verification (sandbox)" endpoint is not retrieved.',
    choice:
      'Not imitated. Outcomes come from the hosted page, POST /__admin/beneficiaries/{id}/decision or auto-decide.',
  },
];
