/**
 * The operator interface, fixed so that scripts and outside test suites can drive any build:
 * /admin/v1 with `Authorization: Bearer <token>`, JSON in and out, amounts and prices as decimal
 * strings, errors as HTTP 4xx `{"error": "<what is wrong and what to do>"}`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatAmount, parseAmount } from '../engine/fixed.js';
import { parsePrice } from '../engine/format.js';
import type { CommandError, MarginMode } from '../engine/types.js';
import { ACCOUNT_DEFAULTS, DIALECTS, isDialectName, type AccountDefaults } from '../dialects/account-defaults.js';
import type { CredentialStore } from '../service/credentials.js';
import { NotDurableError } from '../service/errors.js';
import { registerErrorShape } from '../server/error-shapes.js';
import type { DurableStore } from '../persistence/store.js';
import type { Exchange } from '../service/exchange.js';
import type { GatewayStatus } from '../server/server.js';
import { requiredText, requiredWholeNumber, type ParamErrors, type RawParams } from '../dialects/param-reader.js';
import { priceRoutes } from './price-routes.js';
import type { FaultBoard } from '../faults/board.js';
import { faultRoutes } from '../faults/routes.js';

export interface AdminOptions {
  exchange: Exchange;
  credentials: CredentialStore;
  adminToken: string;
  store: DurableStore | null;
  /** The stream gateway's connections, limits and fault counters, for /status. */
  gateway: () => GatewayStatus;
  /** Operator-injected faults (src/faults/). */
  faults: FaultBoard;
}

export class AdminError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const STATUS_OF: Partial<Record<CommandError['code'], number>> = {
  UNKNOWN_ACCOUNT: 404,
  UNKNOWN_SYMBOL: 404,
  INSUFFICIENT_BALANCE: 409,
};

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The admin API's words for a refused field: HTTP 400 {"error"}. */
const ADMIN_FIELD_ERRORS: ParamErrors = {
  missing: (name, hint) => new AdminError(400, `"${name}" is required${hint}`),
  malformed: (name, problem) => new AdminError(400, `"${name}" is malformed: ${problem}`),
};

/** A required field of a JSON body: a non-empty string, or a whole number ≥ 0. */
export function field(body: unknown, name: string, kind: 'string' | 'integer'): string | number {
  const params = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as RawParams) : {};
  if (kind === 'integer') return requiredWholeNumber(params, name, 0, Number.MAX_SAFE_INTEGER, ADMIN_FIELD_ERRORS);
  // Amounts and prices are decimal strings here: a JSON number could already have lost digits.
  const value = params[name];
  if (value !== undefined && value !== null && typeof value !== 'string') throw ADMIN_FIELD_ERRORS.malformed(name, 'send it as a JSON string');
  return requiredText(params, name, ADMIN_FIELD_ERRORS, ' and must be a non-empty string');
}

function amountOf(body: unknown): bigint {
  const text = field(body, 'amount', 'string') as string;
  try {
    return parseAmount(text);
  } catch {
    throw new AdminError(400, `"amount" must be a decimal string with at most 8 decimals, e.g. "1000.5" (got "${text}")`);
  }
}

const ACCOUNT_FIELDS = ['dialect', 'positionMode', 'marginMode'];
const ADMIN_MARGIN_MODES: Readonly<Record<string, MarginMode>> = { CROSS: 'CROSSED', ISOLATED: 'ISOLATED' };

/**
 * POST /accounts' optional body: `{"dialect"}` starts the account with that exchange's defaults
 * (src/dialects/account-defaults.ts), `positionMode` / `marginMode` set them explicitly (and win
 * over the dialect's). No body: the server's default (hedge mode, cross margin: XT's).
 */
function accountDefaultsOf(request: FastifyRequest): Partial<AccountDefaults> {
  const contentType = request.headers['content-type'] ?? '';
  if (request.rawBody.trim() !== '' && !contentType.toLowerCase().startsWith('application/json')) {
    throw new AdminError(415, 'send the body as JSON (Content-Type: application/json), e.g. {"dialect":"binance"}');
  }
  const body: unknown = request.body === undefined ? {} : request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminError(400, 'the body must be a JSON object: {"dialect"} and/or {"positionMode","marginMode"}, or nothing');
  }
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!ACCOUNT_FIELDS.includes(name)) throw new AdminError(400, `unknown field "${name}": an account takes ${ACCOUNT_FIELDS.map((f) => `"${f}"`).join(', ')}`);
  }
  const defaults: Partial<AccountDefaults> = {};
  if (fields.dialect !== undefined) {
    if (!isDialectName(fields.dialect)) throw new AdminError(400, `"dialect" must be one of ${DIALECTS.join(', ')} (got ${JSON.stringify(fields.dialect)})`);
    Object.assign(defaults, ACCOUNT_DEFAULTS[fields.dialect]);
  }
  if (fields.positionMode !== undefined) {
    if (fields.positionMode !== 'ONE_WAY' && fields.positionMode !== 'HEDGE') {
      throw new AdminError(400, `"positionMode" must be ONE_WAY or HEDGE (got ${JSON.stringify(fields.positionMode)})`);
    }
    defaults.positionMode = fields.positionMode;
  }
  if (fields.marginMode !== undefined) {
    const marginMode = typeof fields.marginMode === 'string' ? ADMIN_MARGIN_MODES[fields.marginMode] : undefined;
    if (marginMode === undefined) throw new AdminError(400, `"marginMode" must be CROSS or ISOLATED (got ${JSON.stringify(fields.marginMode)})`);
    defaults.marginMode = marginMode;
  }
  return defaults;
}

export function refused(error: CommandError): never {
  throw new AdminError(STATUS_OF[error.code] ?? 400, error.message);
}

export async function adminRoutes(app: FastifyInstance, options: AdminOptions): Promise<void> {
  const { exchange, credentials, adminToken } = options;

  registerErrorShape(app, (_status, message) => ({ error: message }));
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply: FastifyReply) => {
    if (error instanceof NotDurableError) return void reply.code(503).send({ error: error.message });
    const status = error instanceof AdminError ? error.status : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error }, 'admin API: a handler threw; answered 500');
    void reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no admin endpoint ${request.method} ${request.url}; see the README's operator interface` });
  });
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!tokenMatches(request.headers.authorization, adminToken)) {
      throw new AdminError(401, 'send the admin token as "Authorization: Bearer <token>" (printed at start-up or set with --admin-token)');
    }
  });

  app.post('/accounts', async (request) => {
    const { result } = await exchange.execute({ type: 'createAccount', ...accountDefaultsOf(request) });
    if (!result.ok) refused(result);
    if (result.kind !== 'account') throw new AdminError(500, 'unexpected result');
    const credential = credentials.issue(result.accountId);
    const view = exchange.engine.account(result.accountId)!.view;
    return {
      accountId: result.accountId, apiKey: credential.apiKey, secret: credential.secret, passphrase: credential.passphrase,
      positionMode: view.positionMode, marginMode: view.settings[0]?.marginMode === 'ISOLATED' ? 'ISOLATED' : 'CROSS',
    };
  });

  for (const type of ['deposit', 'withdraw'] as const) {
    app.post(`/${type}`, async (request) => {
      const accountId = field(request.body, 'accountId', 'integer') as number;
      const asset = (field(request.body, 'asset', 'string') as string).toUpperCase();
      const amount = amountOf(request.body);
      const { result } = await exchange.execute({ type, accountId, asset, amount });
      if (!result.ok) refused(result);
      const balance = exchange.engine.account(accountId)?.view.wallets.find((w) => w.asset === asset);
      return { accountId, asset, walletBalance: formatAmount(balance?.walletBalance ?? 0n), availableBalance: formatAmount(balance?.availableBalance ?? 0n) };
    });
  }

  app.post('/mark-price', async (request) => {
    const symbol = field(request.body, 'symbol', 'string') as string;
    const config = exchange.engine.symbols().find((s) => s.symbol === symbol);
    if (config === undefined) throw new AdminError(404, `symbol "${symbol}" is not listed; GET /admin/v1/symbols lists them`);
    const text = field(request.body, 'price', 'string') as string;
    const price = parsePrice(config, text);
    if (price === undefined) throw new AdminError(400, `"price" must be a positive multiple of the tick size ${config.spec.tickSize} (got "${text}")`);
    const { result } = await exchange.execute({ type: 'setMarkPrice', symbol, price });
    if (!result.ok) refused(result);
    return { symbol, price: text };
  });

  // The price of one whole asset in another, e.g. BNB in USDT for Binance's BNB fee burn.
  app.post('/asset-price', async (request) => {
    const asset = (field(request.body, 'asset', 'string') as string).toUpperCase();
    const quoteAsset = (field(request.body, 'quoteAsset', 'string') as string).toUpperCase();
    const text = field(request.body, 'price', 'string') as string;
    let price: bigint;
    try {
      price = parseAmount(text);
    } catch {
      throw new AdminError(400, `"price" must be a decimal string with at most 8 decimals, e.g. "600.5" (got "${text}")`);
    }
    const { result } = await exchange.execute({ type: 'setAssetPrice', asset, quoteAsset, price });
    if (!result.ok) refused(result);
    return { asset, quoteAsset, price: formatAmount(price) };
  });
  priceRoutes(app, exchange);
  faultRoutes(app, options.faults, exchange, (status, message) => new AdminError(status, message));

  app.get('/symbols', async () => exchange.engine.symbols().map((c) => ({ ...c.spec })));

  // The insurance fund (risk engine): balances per settle asset, and operator top-ups.
  app.get('/insurance-fund', async () => ({
    balances: exchange.engine.insuranceFund().map((f) => ({ asset: f.asset, balance: formatAmount(f.balance) })),
  }));
  app.post('/insurance-fund', async (request) => {
    const asset = (field(request.body, 'asset', 'string') as string).toUpperCase();
    const amount = amountOf(request.body);
    const { result } = await exchange.execute({ type: 'depositInsurance', asset, amount });
    if (!result.ok) refused(result);
    const balance = exchange.engine.insuranceFund().find((f) => f.asset === asset)?.balance ?? 0n;
    return { asset, balance: formatAmount(balance) };
  });

  app.get('/status', async () => ({
    cmdSeq: exchange.engine.cmdSeq, epoch: exchange.epoch, durable: options.store !== null,
    lastSnapshot: options.store?.lastSnapshot ?? null, journal: options.store ? { batches: options.store.journal.batches, records: options.store.journal.records } : null,
    gateway: options.gateway(),
  }));

  app.post('/snapshot', async () => {
    if (options.store === null) throw new AdminError(409, 'this server keeps no data directory: there is nothing to snapshot');
    return { snapshot: await options.store.snapshot() };
  });
}
