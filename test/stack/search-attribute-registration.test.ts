import { randomUUID } from 'node:crypto';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/search-attributes';
import {
  SearchAttributeRegistrationError,
  registerSearchAttributes,
} from '../../src/ops/search-attribute-registration';
import { connectToDevServer } from '../support/temporal';
import { eventually } from './support';

describe('registering the search attributes through the operator service', () => {
  let temporal: Awaited<ReturnType<typeof connectToDevServer>>;

  beforeAll(async () => {
    temporal = await connectToDevServer();
  });

  afterAll(async () => {
    await temporal?.close();
  });

  /** A namespace of its own, which the dev server's command line registered nothing on. */
  async function freshNamespace(): Promise<string> {
    const namespace = `sa-${randomUUID().slice(0, 8)}`;
    await temporal.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await eventually(
      () => temporal.client.workflowService.describeNamespace({ namespace }).then(() => true),
      `namespace ${namespace}`,
    );
    return namespace;
  }

  it('adds the missing attributes once, then finds them present', async () => {
    const namespace = await freshNamespace();
    const names = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);
    const operator = temporal.client.connection.operatorService;
    expect(await registerSearchAttributes(operator, namespace)).toEqual({
      namespace,
      added: names,
      present: [],
    });
    const listed = await operator.listSearchAttributes({ namespace });
    expect(Object.keys(listed.customAttributes ?? {})).toEqual(expect.arrayContaining(names));
    expect(await registerSearchAttributes(operator, namespace)).toEqual({
      namespace,
      added: [],
      present: names,
    });
  });

  it('refuses to touch an attribute registered with another type', async () => {
    const namespace = await freshNamespace();
    const operator = temporal.client.connection.operatorService;
    await registerSearchAttributes(operator, namespace, [
      defineSearchAttributeKey('BeneficiaryId', SearchAttributeType.INT),
    ]);
    const failure = registerSearchAttributes(operator, namespace);
    await expect(failure).rejects.toThrow(SearchAttributeRegistrationError);
    await expect(failure).rejects.toThrow(/BeneficiaryId is registered .* with another type/);
  });
});
