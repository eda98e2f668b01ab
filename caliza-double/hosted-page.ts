import { kindOf } from '../src/caliza/vocabulary';
import type { BeneficiaryRecord, SessionRecord } from './store';

/** The stand-in for the identity provider's hosted flow: one page, two buttons. */

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; color: #1f2933; }
  .card { border: 1px solid #d9e2ec; border-radius: 8px; padding: 1.5rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
  dt { color: #627d98; }
  button { font-size: 1rem; padding: .6rem 1.4rem; margin-right: .5rem; border-radius: 6px; border: 0; cursor: pointer; }
  button[value=approve] { background: #2f855a; color: #fff; }
  button[value=reject] { background: #c53030; color: #fff; }
  input[type=text] { width: 100%; padding: .4rem; margin: .5rem 0 1rem; box-sizing: border-box; }
  .note { color: #627d98; font-size: .9rem; }
</style>
</head>
<body>
<main class="card">
${body}
</main>
</body>
</html>
`;
}

function subjectName(beneficiary: BeneficiaryRecord): string {
  if (beneficiary.person) return `${beneficiary.person.firstName} ${beneficiary.person.lastName}`;
  if (beneficiary.business) return beneficiary.business.legalName;
  return beneficiary.integratorBeneficiaryId;
}

function details(session: SessionRecord, beneficiary: BeneficiaryRecord): string {
  return `<dl>
  <dt>Check</dt><dd>${kindOf(session.type)} (${escapeHtml(session.type)})</dd>
  <dt>Subject</dt><dd>${escapeHtml(subjectName(beneficiary))}</dd>
  <dt>Session</dt><dd><code>${escapeHtml(session.id)}</code></dd>
  <dt>Status</dt><dd id="status">${escapeHtml(session.status)}</dd>
</dl>`;
}

export function verificationPage(
  session: SessionRecord,
  beneficiary: BeneficiaryRecord,
  action: string,
): string {
  const form =
    session.status === 'PENDING'
      ? `<form method="post" action="${escapeHtml(action)}">
  <label for="reason">Reason (used when rejecting, optional)</label>
  <input type="text" id="reason" name="reason" maxlength="500">
  <button type="submit" name="decision" value="approve">Approve</button>
  <button type="submit" name="decision" value="reject">Reject</button>
</form>
<p class="note">Sandbox double: this page stands in for the identity provider's hosted verification.</p>`
      : `<p>This verification has already been completed; no decision can be taken.</p>`;
  return layout(
    'Identity verification',
    `<h1>Identity verification</h1>\n${details(session, beneficiary)}\n${form}`,
  );
}

export function decisionTakenPage(session: SessionRecord, beneficiary: BeneficiaryRecord): string {
  return layout(
    'Verification submitted',
    `<h1>Thank you</h1>
<p>Your verification has been submitted and is being processed.</p>
${details(session, beneficiary)}`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
