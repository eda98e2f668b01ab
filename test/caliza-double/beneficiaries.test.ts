import {
  businessPayload,
  HEX24,
  individualPayload,
  startHarness,
  type BeneficiaryBody,
  type CodedErrorBody,
  type Harness,
} from './support';

describe('sandbox beneficiaries', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('refuses to create a beneficiary before a webhook URL is set: 412 callback_url.not_set', async () => {
    const answer = await h.api<CodedErrorBody>('/v1/beneficiaries', { json: individualPayload('early') });
    expect(answer.status).toBe(412);
    expect(answer.json).toEqual({
      code: 'callback_url.not_set',
      message: expect.any(String),
      traceId: expect.stringMatching(/^[0-9a-f]{16}$/),
      path: '/v1/beneficiaries',
    });
  });

  describe('once a webhook URL is set', () => {
    beforeAll(() => h.setCallbackUrl('http://127.0.0.1:9/unused'));

    it('creates an INDIVIDUAL beneficiary: 201 with the documented object', async () => {
      const answer = await h.api<BeneficiaryBody>('/v1/beneficiaries', { json: individualPayload('ind-1') });
      expect(answer.status).toBe(201);
      expect(answer.json).toEqual({
        id: expect.stringMatching(HEX24),
        integratorId: h.sandbox.integratorId,
        integratorBeneficiaryId: 'ind-1',
        type: 'INDIVIDUAL',
        active: true,
        kycVerified: false,
        status: 'PENDING',
        createdDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/),
        person: (individualPayload('ind-1') as { person: unknown }).person,
      });
      const read = await h.api<BeneficiaryBody>(`/v1/beneficiaries/${answer.json.id}`);
      expect(read.status).toBe(200);
      expect(read.json).toEqual(answer.json);
    });

    it('creates a BUSINESS beneficiary with the business object', async () => {
      const answer = await h.api<BeneficiaryBody>('/v1/beneficiaries', { json: businessPayload('biz-1') });
      expect(answer.status).toBe(201);
      expect(answer.json.type).toBe('BUSINESS');
      expect(answer.json.business).toMatchObject({
        legalName: 'Acme Trading LLC',
        incorporationCountry: 'US',
      });
      expect(answer.json.person).toBeUndefined();
    });

    it('answers a duplicate integratorBeneficiaryId with 409 beneficiary.conflict', async () => {
      await h.createBeneficiary('dup-1');
      const answer = await h.api<CodedErrorBody>('/v1/beneficiaries', { json: businessPayload('dup-1') });
      expect(answer.status).toBe(409);
      expect(answer.json).toMatchObject({ code: 'beneficiary.conflict', path: '/v1/beneficiaries' });
    });

    it('reports every validation problem at once as 400 { errors }', async () => {
      const empty = await h.api('/v1/beneficiaries', { json: {} });
      expect(empty.status).toBe(400);
      expect(empty.json).toEqual({ errors: ['External id is required', 'Beneficiary type is required'] });

      const wrongType = await h.api('/v1/beneficiaries', {
        json: { integratorBeneficiaryId: 'x', type: 'PERSON' },
      });
      expect(wrongType.json).toEqual({ errors: ['Beneficiary type must be INDIVIDUAL or BUSINESS'] });

      const noPerson = await h.api('/v1/beneficiaries', {
        json: { integratorBeneficiaryId: 'x', type: 'INDIVIDUAL' },
      });
      expect(noPerson.json).toEqual({ errors: ['Person is required'] });

      const noBusiness = await h.api('/v1/beneficiaries', {
        json: { integratorBeneficiaryId: 'x', type: 'BUSINESS' },
      });
      expect(noBusiness.json).toEqual({ errors: ['Business is required'] });

      const base = individualPayload('bad-fields') as { person: Record<string, unknown> };
      const badFields = await h.api<{ errors: string[] }>('/v1/beneficiaries', {
        json: {
          ...base,
          person: {
            ...base.person,
            firstName: 'x'.repeat(101),
            dateOfBirth: '1985-02-30',
            citizenship: 'usa',
            phoneNumber: '12345',
            email: 'not-an-email',
            address: { streetOne: 'a', city: 'b', zipcode: 'c', state: 'TOOLONG', country: 'US' },
          },
        },
      });
      expect(badFields.status).toBe(400);
      expect(badFields.json.errors).toEqual([
        'First name must be at most 100 characters',
        'Date of birth must be a valid date in the past',
        'Citizenship must be a 2-letter ISO country code',
        'Email must be a valid e-mail address',
        'Phone number must be + followed by 6 to 20 digits',
        'Address state must be at most 3 characters',
      ]);
      expect(
        (await h.api(`/v1/beneficiaries`, { json: { ...base, integratorBeneficiaryId: 'bad-fields' } }))
          .status,
      ).toBe(201);
    });

    it('rejects an integratorId in the body that is not the caller’s', async () => {
      const answer = await h.api('/v1/beneficiaries', {
        json: { ...individualPayload('other-int'), integratorId: '111111111111111111111111' },
      });
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ errors: ['Integrator id does not match the authenticated integrator'] });
    });

    it('answers malformed JSON with 400 { errors }', async () => {
      const answer = await fetch(`${h.sandbox.apiBaseUrl}/v1/beneficiaries`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
        body: '{"integratorBeneficiaryId": ',
      });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({ errors: ['Malformed JSON request'] });
    });

    it('answers an unknown or malformed beneficiary id with 404 beneficiary.not_found', async () => {
      for (const id of ['0123456789abcdef01234567', 'not-an-id']) {
        const answer = await h.api<CodedErrorBody>(`/v1/beneficiaries/${id}`);
        expect(answer.status).toBe(404);
        expect(answer.json).toEqual({
          code: 'beneficiary.not_found',
          message: 'Beneficiary not found',
          traceId: expect.stringMatching(/^[0-9a-f]{16}$/),
          path: `/v1/beneficiaries/${id}`,
        });
      }
    });

    it('refuses to create beneficiaries again once the callback URL is cleared: 412', async () => {
      await h.setCallbackUrl('');
      const answer = await h.api<CodedErrorBody>('/v1/beneficiaries', {
        json: individualPayload('after-clear'),
      });
      expect(answer.status).toBe(412);
      await h.setCallbackUrl('http://127.0.0.1:9/unused');
    });
  });
});
