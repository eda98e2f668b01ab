import { z } from 'zod';

/**
 * Request validation for `POST /v1/beneficiaries`. Messages follow Caliza's style ("External id is
 * required"): a readable label, never a JSON path, collected into `{ "errors": [...] }`.
 */

function missing(input: unknown): boolean {
  return input === undefined || input === null;
}

function text(label: string, maxLength?: number) {
  let schema = z
    .string({
      error: (issue) => (missing(issue.input) ? `${label} is required` : `${label} must be a string`),
    })
    .trim()
    .min(1, `${label} is required`);
  if (maxLength !== undefined)
    schema = schema.max(maxLength, `${label} must be at most ${maxLength} characters`);
  return schema;
}

function optionalText(label: string, maxLength: number) {
  return z
    .string({ error: `${label} must be a string` })
    .max(maxLength, `${label} must be at most ${maxLength} characters`)
    .optional();
}

function countryCode(label: string) {
  return text(label).regex(/^[A-Z]{2}$/, `${label} must be a 2-letter ISO country code`);
}

function pastDate(label: string) {
  return text(label)
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${label} must use the format YYYY-MM-DD`)
    .refine((value) => {
      const date = new Date(`${value}T00:00:00Z`);
      return (
        !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) && date.getTime() <= Date.now()
      );
    }, `${label} must be a valid date in the past`);
}

function email(label: string) {
  return text(label, 254).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, `${label} must be a valid e-mail address`);
}

function phone(label: string) {
  return text(label).regex(/^\+\d{6,20}$/, `${label} must be + followed by 6 to 20 digits`);
}

function object<T extends z.ZodRawShape>(label: string, shape: T) {
  return z.object(shape, {
    error: (issue) => (missing(issue.input) ? `${label} is required` : `${label} must be an object`),
  });
}

const addressShape = (owner: string) => ({
  streetOne: text(`${owner} street one`, 100),
  streetTwo: optionalText(`${owner} street two`, 100),
  city: text(`${owner} city`, 100),
  zipcode: text(`${owner} zipcode`, 20),
  state: text(`${owner} state`, 3),
  country: countryCode(`${owner} country`),
});

export const personSchema = object('Person', {
  firstName: text('First name', 100),
  lastName: text('Last name', 100),
  dateOfBirth: pastDate('Date of birth'),
  citizenship: countryCode('Citizenship'),
  idNumber: text('Id number', 50),
  email: email('Email'),
  phoneNumber: phone('Phone number'),
  address: object('Address', addressShape('Address')),
});

const contactSchema = z.object(
  {
    firstName: text('Contact first name', 100),
    lastName: text('Contact last name', 100),
    email: email('Contact email'),
    phoneNumber: phone('Contact phone number').optional(),
  },
  { error: 'Each contact must be an object' },
);

/** Caliza names a `business` object but does not show its fields; these are the double's choice. */
export const businessSchema = object('Business', {
  legalName: text('Legal name', 200),
  tradeName: optionalText('Trade name', 200),
  registrationNumber: text('Registration number', 50),
  incorporationDate: pastDate('Incorporation date'),
  incorporationCountry: countryCode('Incorporation country'),
  email: email('Business email'),
  phoneNumber: phone('Business phone number'),
  website: optionalText('Website', 200),
  address: object('Business address', addressShape('Business address')),
  contacts: z
    .array(contactSchema, { error: 'Contacts must be a list' })
    .max(20, 'At most 20 contacts')
    .optional(),
});

const headerSchema = z.object({
  integratorBeneficiaryId: text('External id', 100),
  type: z.enum(['INDIVIDUAL', 'BUSINESS'], {
    error: (issue) =>
      missing(issue.input)
        ? 'Beneficiary type is required'
        : 'Beneficiary type must be INDIVIDUAL or BUSINESS',
  }),
  integratorId: z.string({ error: 'Integrator id must be a string' }).optional(),
});

export type PersonInput = z.infer<typeof personSchema>;
export type BusinessInput = z.infer<typeof businessSchema>;

export type CreateBeneficiaryInput =
  | { integratorBeneficiaryId: string; type: 'INDIVIDUAL'; person: PersonInput; integratorId?: string }
  | { integratorBeneficiaryId: string; type: 'BUSINESS'; business: BusinessInput; integratorId?: string };

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function messages(error: z.ZodError): string[] {
  return [...new Set(error.issues.map((issue) => issue.message))];
}

export function validateCreateBeneficiary(body: unknown): Validation<CreateBeneficiaryInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: ['Request body must be a JSON object'] };
  }
  const record = body as Record<string, unknown>;
  const header = headerSchema.safeParse(record);
  const errors = header.success ? [] : messages(header.error);
  const type = header.success ? header.data.type : record.type;
  if (type === 'INDIVIDUAL') {
    const person = personSchema.safeParse(record.person);
    if (!person.success) errors.push(...messages(person.error));
    if (header.success && person.success && errors.length === 0) {
      return { ok: true, value: { ...header.data, type: 'INDIVIDUAL', person: person.data } };
    }
  } else if (type === 'BUSINESS') {
    const business = businessSchema.safeParse(record.business);
    if (!business.success) errors.push(...messages(business.error));
    if (header.success && business.success && errors.length === 0) {
      return { ok: true, value: { ...header.data, type: 'BUSINESS', business: business.data } };
    }
  }
  return { ok: false, errors };
}
