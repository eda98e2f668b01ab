import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { encryptionCodecFromEnv } from '../../src/codec';
import { decideOnHostedPage } from '../../dev/demo/hosted-page';
import { sampleBusiness, sampleIndividual } from '../../dev/sample-beneficiaries';
import type { RunningStack } from '../../dev/stack';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { eventually, startTestStack } from '../stack/support';
import { launchChromium } from './chromium';

const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-results');

/** What an operator does in the Temporal Web UI, in a real browser. */
describe('the Temporal Web UI', () => {
  let stack: RunningStack;
  let browser: Browser;
  let page: Page;
  let uiUrl: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // The browser first: without it this test cannot say anything, and it says why.
    browser = await launchChromium();
    stack = await startTestStack({ temporal: { kind: 'dev-server', uiPort: 0 } });
    uiUrl = stack.temporal.uiUrl as string;
    await eventually(async () => ((await fetch(uiUrl)).ok ? true : undefined), 'the Web UI');
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const listUrl = (query: string) =>
    `${uiUrl}/namespaces/${stack.temporal.namespace}/workflows?query=${encodeURIComponent(query)}`;

  /** The list rows naming a workflow id, reloading while the visibility store catches up. */
  async function rowsFor(query: string, workflowId: string, status: string): Promise<string[]> {
    return eventually(
      async () => {
        await page.goto(listUrl(query), { waitUntil: 'networkidle' });
        const rows = await page.locator('tr', { hasText: 'kyc-beneficiary-' }).allInnerTexts();
        return rows.some((row) => row.includes(workflowId) && row.includes(status)) ? rows : undefined;
      },
      `${workflowId} listed as ${status} for ${query}`,
      20_000,
    );
  }

  /** The markdown of the User Metadata tab is rendered in frames of its own. */
  async function metadataText(): Promise<string> {
    const texts = await Promise.all(
      page
        .frames()
        .filter((frame) => frame.url().startsWith(`${uiUrl}/render`))
        .map((frame) => frame.locator('body').innerText()),
    );
    return texts.join('\n');
  }

  /**
   * How each rendered markdown frame fits its box: the frame's height, and the bottom of the last line in
   * it (the pane once cut its last line). Measured in the browser, in CSS pixels.
   */
  async function metadataFit(): Promise<{ text: string; frameHeight: number; lastLineBottom: number }[]> {
    const frames = page.frames().filter((frame) => frame.url().startsWith(`${uiUrl}/render`));
    return Promise.all(
      frames.map(async (frame) => {
        const box = await (await frame.frameElement()).boundingBox();
        // Evaluated in the frame (a string: this project's types have no DOM).
        const inside = (await frame.evaluate(`(() => {
          const blocks = [...document.body.querySelectorAll('li, p, h1, h2, h3, pre')];
          const last = blocks.at(-1) ?? document.body;
          return { text: document.body.innerText, lastLineBottom: last.getBoundingClientRect().bottom };
        })()`)) as { text: string; lastLineBottom: number };
        return { ...inside, frameHeight: box?.height ?? 0 };
      }),
    );
  }

  it('finds a verification by beneficiary, shows its summary and current details, then its outcome', async () => {
    const beneficiary = await stack.caliza.client.createBeneficiary(sampleIndividual('ui-jane'));
    const other = await stack.caliza.client.createBeneficiary(sampleBusiness('ui-acme'));
    const started = await stack.verifications.start(beneficiary.id);
    await stack.verifications.start(other.id);
    const workflowId = `kyc-beneficiary-${beneficiary.id}`;

    // The list, filtered by the BeneficiaryId search attribute: this run only, Running.
    const byBeneficiary = `BeneficiaryId="${beneficiary.id}"`;
    const rows = await rowsFor(byBeneficiary, workflowId, 'Running');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('verifyBeneficiary');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-ui-list.png') });

    // The run: its static summary and the workflow's current details.
    await page.getByText(workflowId, { exact: true }).first().click();
    await page.waitForURL(new RegExp(`/workflows/${workflowId}/`));
    await page.getByText('User Metadata', { exact: true }).click();
    const pending = await eventually(async () => {
      const text = await metadataText();
      return text.includes('Status: PENDING') ? text : undefined;
    }, 'the summary and current details');
    expect(pending).toContain(`KYC/KYB verification of beneficiary ${beneficiary.id}`);
    expect(pending).toMatch(/Deadline: \d{4}-\d{2}-\d{2}T/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-ui-details.png'), fullPage: true });
    const fits = await metadataFit();
    expect(fits.length).toBeGreaterThan(0);
    // Every frame shows its last line whole: nothing of the current details is cut off.
    for (const fit of fits)
      expect({ ...fit, fits: fit.lastLineBottom <= fit.frameHeight }).toMatchObject({ fits: true });

    // Decided: the UI shows it completed, and the outcome query finds it.
    await decideOnHostedPage(started.verificationUrl as string, 'approve');
    await stack.verifications.result(beneficiary.id);
    const decided = await eventually(async () => {
      await page.reload({ waitUntil: 'networkidle' });
      await page.getByText('User Metadata', { exact: true }).click();
      const text = await metadataText();
      return text.includes('Outcome: APPROVED by WEBHOOK') ? text : undefined;
    }, 'the outcome in the current details');
    expect(decided).toContain('Status: SUCCEEDED');
    // Decided is the longest the details get here: outcome, status, polls and deadline, last event.
    expect(decided).toContain('Last event: BENEFICIARY_APPROVED (confirmed)');
    const decidedFits = await metadataFit();
    for (const fit of decidedFits)
      expect({ ...fit, fits: fit.lastLineBottom <= fit.frameHeight }).toMatchObject({ fits: true });
    expect(await page.locator('main').innerText()).toContain('Completed');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-ui-completed.png'), fullPage: true });

    const approved = await rowsFor(
      `VerificationOutcome="APPROVED" AND ${byBeneficiary}`,
      workflowId,
      'Completed',
    );
    expect(approved).toHaveLength(1);
    const kyb = await rowsFor(
      `VerificationKind="KYB" AND ExecutionStatus="Running"`,
      `kyc-beneficiary-${other.id}`,
      'Running',
    );
    expect(kyb.join('\n')).not.toContain(workflowId);
  });

  it('decodes encrypted payloads through the codec server the stack starts for it', async () => {
    const codec = encryptionCodecFromEnv({
      PAYLOAD_ENCRYPTION_KEYS: `ui-test:${randomBytes(32).toString('base64')}`,
    });
    const encrypted = await startTestStack({
      temporal: { kind: 'dev-server', uiPort: 0 },
      ...(codec && { payloadCodec: codec }),
    });
    try {
      expect(encrypted.codecServer).not.toBeNull();
      const encryptedUi = encrypted.temporal.uiUrl as string;
      await eventually(async () => ((await fetch(encryptedUi)).ok ? true : undefined), 'the Web UI');
      const beneficiary = await encrypted.caliza.client.createBeneficiary(sampleIndividual('ui-encrypted'));
      await encrypted.verifications.start(beneficiary.id);
      const workflowId = `kyc-beneficiary-${beneficiary.id}`;

      // Stored encrypted: the server holds no readable input.
      const history = await encrypted.verifications.handle(beneficiary.id).fetchHistory();
      const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      expect(Buffer.from(input?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');

      // Shown decrypted: the browser asks the codec server.
      const encryptedPage = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      try {
        // A running workflow's page keeps polling, so the network never goes idle.
        await encryptedPage.goto(`${encryptedUi}/namespaces/default/workflows/${workflowId}`);
        const shown = await eventually(async () => {
          const text = await encryptedPage.locator('main').innerText();
          return text.includes(`"beneficiaryId": "${beneficiary.id}"`) ? text : undefined;
        }, 'the decrypted input');
        expect(shown).not.toContain('binary/encrypted');
        await encryptedPage.screenshot({ path: path.join(SCREENSHOTS, 'web-ui-decrypted.png') });
      } finally {
        await encryptedPage.close();
      }
    } finally {
      await encrypted.stop();
    }
  });
});
