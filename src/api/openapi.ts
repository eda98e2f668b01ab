/**
 * The OpenAPI 3.1 document, generated from the very zod schemas the handlers validate with (zod's own JSON
 * Schema output, draft 2020-12, which OpenAPI 3.1 uses as is). `npm run openapi` writes it to
 * docs/openapi.json; a test keeps that file equal to this.
 */
import { z } from 'zod';
import { STATUS_OF } from './errors';
import { API_ROUTES, COMMON_ERRORS, PATH_PARAMETER } from './routes';
import { type ErrorCode, errorSchema, verificationResultSchema, verificationStateSchema } from './schemas';

/** The API's version, in the document; a change that breaks a client bumps the major. */
export const API_VERSION = '1.0.0';

type JsonObject = Record<string, unknown>;

const COMPONENT = (id: string) => `#/components/schemas/${id}`;
const JSON_CONTENT = 'application/json';

/** One schema as JSON Schema; named schemas inside it become `$ref`s to the components. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const converted = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'throw',
  }) as JsonObject;
  return strip(converted);
}

/** Drops the draft marker and ids zod adds: a component's name is its key in the document. */
function strip(schema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, id: _metaId, ...rest } = schema;
  return rest;
}

/** Every named schema the routes use, for `components.schemas`, in one pass so references resolve. */
function components(): JsonObject {
  const registry = z.registry<{ id: string }>();
  const seen = new Set<z.ZodType>();
  const add = (schema: z.ZodType | undefined) => {
    const id = schema && (z.globalRegistry.get(schema)?.id as string | undefined);
    if (schema && id && !seen.has(schema)) {
      seen.add(schema);
      registry.add(schema, { id });
    }
  };
  // Named schemas nested in others, listed so that references to them resolve to components too.
  for (const nested of [errorSchema, verificationResultSchema, verificationStateSchema]) add(nested);
  for (const route of API_ROUTES) {
    add(route.body);
    add(route.answer);
  }
  const { schemas } = z.toJSONSchema(registry, {
    uri: COMPONENT,
    // Requests are read in their input form (defaults make a field optional); answers have no defaults.
    io: 'input',
    unrepresentable: 'throw',
  }) as {
    schemas: Record<string, JsonObject>;
  };
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, strip(schema)]));
}

function reference(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const id = z.globalRegistry.get(schema)?.id as string | undefined;
  return id ? { $ref: COMPONENT(id) } : jsonSchema(schema, io);
}

function errorAnswer(code: ErrorCode): [string, JsonObject] {
  return [
    String(STATUS_OF[code]),
    {
      description: code,
      content: { [JSON_CONTENT]: { schema: { $ref: COMPONENT('Error') } } },
    },
  ];
}

export function buildOpenApiDocument(): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of API_ROUTES) {
    const parameters: JsonObject[] = [];
    if (route.path.includes(`{${PATH_PARAMETER.name}}`)) {
      parameters.push({
        name: PATH_PARAMETER.name,
        in: 'path',
        required: true,
        schema: jsonSchema(PATH_PARAMETER.schema, 'input'),
      });
    }
    for (const [name, schema] of Object.entries(route.query?.shape ?? {})) {
      const parameter = jsonSchema(schema as z.ZodType, 'input');
      const { description, ...parameterSchema } = parameter;
      parameters.push({ name, in: 'query', required: false, description, schema: parameterSchema });
    }
    const codes = [...new Set<ErrorCode>([...COMMON_ERRORS, ...route.errors, 'INTERNAL'])];
    const operation: JsonObject = {
      operationId: route.operationId,
      summary: route.summary,
      description: route.description,
      ...(parameters.length > 0 && { parameters }),
      ...(route.body && {
        requestBody: {
          required: true,
          content: { [JSON_CONTENT]: { schema: reference(route.body, 'input') } },
        },
      }),
      responses: Object.fromEntries([
        [
          '200',
          { description: 'OK', content: { [JSON_CONTENT]: { schema: reference(route.answer, 'output') } } },
        ],
        ...codes.sort((a, b) => STATUS_OF[a] - STATUS_OF[b]).map(errorAnswer),
      ]),
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Caliza KYC verification API',
      version: API_VERSION,
      description:
        'Start and follow KYC/KYB verifications of payment beneficiaries from a backend in any language. ' +
        'Every refusal has the body {code, message, details}.',
    },
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key whose SHA-256 hash is listed in API_KEY_HASHES',
        },
      },
      schemas: components(),
    },
  };
}

/** The document as committed in docs/openapi.json: two-space JSON, one final newline. */
export function openApiDocumentText(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
