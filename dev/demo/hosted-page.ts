/** Decides a verification the way a beneficiary would: by submitting the form behind `verificationUrl`. */
export type Decision = 'approve' | 'reject';

export async function decideOnHostedPage(
  verificationUrl: string,
  decision: Decision,
  reason?: string,
): Promise<void> {
  const form = new URLSearchParams({ decision, ...(reason && { reason }) });
  const response = await fetch(verificationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) {
    throw new Error(
      `the hosted page refused the decision (${response.status}): ${(await response.text()).slice(0, 200)}`,
    );
  }
}
