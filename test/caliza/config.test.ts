import { inspect } from 'node:util';
import {
  CALIZA_ENV_VARS,
  CalizaConfigError,
  DEFAULT_CALIZA_API_BASE_URL,
  loadCalizaConfig,
} from '../../src/caliza/config';

const SECRET = 'client-secret-Zx81kq0pT7';
const PASSWORD = 'pa55-word-Qm93lLr2';

const required = {
  CALIZA_CLIENT_ID: 'client-id',
  CALIZA_CLIENT_SECRET: SECRET,
  CALIZA_USERNAME: 'ops@example.test',
  CALIZA_PASSWORD: PASSWORD,
};

function configError(env: NodeJS.ProcessEnv): CalizaConfigError {
  try {
    loadCalizaConfig(env);
  } catch (error) {
    if (error instanceof CalizaConfigError) return error;
    throw error;
  }
  throw new Error('expected loadCalizaConfig to throw');
}

describe('loadCalizaConfig', () => {
  it('applies the documented defaults when only the credentials are set', () => {
    const config = loadCalizaConfig(required);
    expect(config).toEqual({
      apiBaseUrl: DEFAULT_CALIZA_API_BASE_URL,
      tokenUrl: 'https://api.sandbox.caliza.com/auth/realms/caliza/protocol/openid-connect/token',
      clientId: 'client-id',
      clientSecret: SECRET,
      username: 'ops@example.test',
      password: PASSWORD,
      timeoutMs: 10_000,
      tokenRefreshMarginMs: 60_000,
    });
  });

  it('derives the token URL from the base URL origin and drops a trailing slash', () => {
    const config = loadCalizaConfig({ ...required, CALIZA_API_BASE_URL: 'http://127.0.0.1:8080/core-api/' });
    expect(config.apiBaseUrl).toBe('http://127.0.0.1:8080/core-api');
    expect(config.tokenUrl).toBe('http://127.0.0.1:8080/auth/realms/caliza/protocol/openid-connect/token');
  });

  it('reads explicit values', () => {
    const config = loadCalizaConfig({
      ...required,
      CALIZA_TOKEN_URL: 'https://sso.example.test/token',
      CALIZA_TIMEOUT_MS: ' 2500 ',
      CALIZA_TOKEN_REFRESH_MARGIN_MS: '0',
    });
    expect(config.tokenUrl).toBe('https://sso.example.test/token');
    expect(config.timeoutMs).toBe(2500);
    expect(config.tokenRefreshMarginMs).toBe(0);
  });

  it('names every missing required variable in one error, treating empty values as missing', () => {
    const error = configError({ CALIZA_CLIENT_ID: '', CALIZA_PASSWORD: PASSWORD });
    expect(error.variables).toEqual(['CALIZA_CLIENT_ID', 'CALIZA_CLIENT_SECRET', 'CALIZA_USERNAME']);
    expect(error.message).toContain('CALIZA_CLIENT_ID is required');
    expect(error.message).toContain('CALIZA_CLIENT_SECRET is required');
    expect(error.message).toContain('CALIZA_USERNAME is required');
    expect(error.message).not.toContain('CALIZA_PASSWORD');
  });

  it.each([
    ['CALIZA_API_BASE_URL', 'not a url'],
    ['CALIZA_API_BASE_URL', 'ftp://api.example.test/core-api'],
    ['CALIZA_TOKEN_URL', '/relative/token'],
    ['CALIZA_TIMEOUT_MS', 'abc'],
    ['CALIZA_TIMEOUT_MS', '0'],
    ['CALIZA_TIMEOUT_MS', '-5'],
    ['CALIZA_TIMEOUT_MS', '1.5'],
    ['CALIZA_TOKEN_REFRESH_MARGIN_MS', '-1'],
    ['CALIZA_TOKEN_REFRESH_MARGIN_MS', '1e3'],
  ])('names %s when it is %p', (name, value) => {
    const error = configError({ ...required, [name]: value });
    expect(error.variables).toEqual([name]);
    expect(error.message).toMatch(new RegExp(`${name} must be`));
  });

  it('reports missing and invalid variables together, without any value', () => {
    const error = configError({
      CALIZA_CLIENT_SECRET: SECRET,
      CALIZA_PASSWORD: PASSWORD,
      CALIZA_TIMEOUT_MS: 'soon',
      CALIZA_API_BASE_URL: 'nope',
    });
    expect(error.variables).toEqual([
      'CALIZA_API_BASE_URL',
      'CALIZA_CLIENT_ID',
      'CALIZA_USERNAME',
      'CALIZA_TIMEOUT_MS',
    ]);
    for (const value of [SECRET, PASSWORD, 'soon', 'nope']) expect(error.message).not.toContain(value);
    expect(error.name).toBe('CalizaConfigError');
  });

  it('keeps secrets out of JSON and util.inspect views of the config', () => {
    const config = loadCalizaConfig(required);
    for (const view of [JSON.stringify(config), inspect(config)]) {
      expect(view).not.toContain(SECRET);
      expect(view).not.toContain(PASSWORD);
      expect(view).toContain('client-id');
    }
    expect(config.password).toBe(PASSWORD);
  });

  it('documents every variable it reads', () => {
    expect(CALIZA_ENV_VARS.map((v) => v.name)).toEqual([
      'CALIZA_API_BASE_URL',
      'CALIZA_TOKEN_URL',
      'CALIZA_CLIENT_ID',
      'CALIZA_CLIENT_SECRET',
      'CALIZA_USERNAME',
      'CALIZA_PASSWORD',
      'CALIZA_TIMEOUT_MS',
      'CALIZA_TOKEN_REFRESH_MARGIN_MS',
    ]);
    for (const v of CALIZA_ENV_VARS) expect(v.description.length).toBeGreaterThan(10);
    expect(CALIZA_ENV_VARS.filter((v) => v.secret).map((v) => v.name)).toEqual([
      'CALIZA_CLIENT_SECRET',
      'CALIZA_PASSWORD',
    ]);
  });
});
