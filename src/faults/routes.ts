/**
 * The admin API's fault injection (README, "Fault injection"), mounted inside the admin plugin so
 * the admin token guards it:
 *   POST   /faults/rest    {accountId, count, status, code?, message?, execute?}  arm REST failures
 *   POST   /faults/order   {accountId, count, code, message?}  refuse the next orders with an exchange code
 *   POST   /faults/stream  {accountId, action: drop | dropAfter | delay, pushes?, ms?}
 *   POST   /faults/credentials {accountId}  expire the account's listen keys and tokens now
 *   GET    /faults         the armed REST faults and order refusals
 *   DELETE /faults         disarm them all (?accountId=N: that account's)
 */
import type { FastifyInstance } from 'fastify';
import { optionalFlag, optionalText, optionalWholeNumber, requiredChoice, requiredWholeNumber, type ParamErrors, type RawParams } from '../dialects/param-reader.js';
import type { Exchange } from '../service/exchange.js';
import { MAX_DELAY_MS, MAX_FAULT_COUNT, type FaultBoard, type StreamFaultSpec } from './board.js';

/** Thrown for a refused field; the admin plugin answers it as HTTP `status` {"error"}. */
export type AdminErrorOf = (status: number, message: string) => Error;

const REST_FIELDS = ['accountId', 'count', 'status', 'code', 'message', 'execute'];
const ORDER_FIELDS = ['accountId', 'count', 'code', 'message'];
const STREAM_FIELDS = ['accountId', 'action', 'pushes', 'ms'];
const STREAM_ACTIONS = ['drop', 'dropAfter', 'delay'] as const;
/**
 * An exchange error code as Binance, Bybit and KuCoin number them (-1001, 10016, 500000). XT's own
 * codes are words; an XT client gets the number as its error code.
 */
const ERROR_CODE = /^-?\d{1,9}$/;

export function faultRoutes(app: FastifyInstance, board: FaultBoard, exchange: Exchange, adminError: AdminErrorOf): void {
  const errors: ParamErrors = {
    missing: (name, hint) => adminError(400, `"${name}" is required${hint}`),
    malformed: (name, problem) => adminError(400, `"${name}" is malformed: ${problem}`),
  };
  const bodyOf = (body: unknown, allowed: readonly string[]): RawParams => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw adminError(400, 'send a JSON object body');
    for (const name of Object.keys(body)) {
      if (!allowed.includes(name)) throw adminError(400, `unknown field "${name}": this fault takes ${allowed.map((f) => `"${f}"`).join(', ')}`);
    }
    return body as RawParams;
  };
  const codeOf = (params: RawParams): string | undefined => {
    const code = optionalText(params, 'code', errors);
    if (code !== undefined && !ERROR_CODE.test(code)) throw adminError(400, `"code" must be an exchange error code, a whole number such as "-1001" or "10016" (got ${JSON.stringify(code)})`);
    return code;
  };
  const accountOf = (params: RawParams): number => {
    const accountId = requiredWholeNumber(params, 'accountId', 0, Number.MAX_SAFE_INTEGER, errors);
    if (exchange.engine.account(accountId) === undefined) throw adminError(404, `account ${accountId} does not exist`);
    return accountId;
  };

  app.post('/faults/rest', async (request) => {
    const params = bodyOf(request.body, REST_FIELDS);
    const accountId = accountOf(params);
    const count = requiredWholeNumber(params, 'count', 1, MAX_FAULT_COUNT, errors);
    const status = requiredWholeNumber(params, 'status', 400, 599, errors);
    const code = codeOf(params);
    const message = optionalText(params, 'message', errors) ?? `injected fault: HTTP ${status}`;
    const execute = optionalFlag(params, 'execute', errors) ?? false;
    board.armRest(accountId, { count, status, message, execute, ...(code === undefined ? {} : { code }) });
    return { accountId, rest: board.armed().rest.find((a) => a.accountId === accountId)!.rest };
  });

  app.post('/faults/order', async (request) => {
    const params = bodyOf(request.body, ORDER_FIELDS);
    const accountId = accountOf(params);
    const count = requiredWholeNumber(params, 'count', 1, MAX_FAULT_COUNT, errors);
    const code = codeOf(params);
    if (code === undefined) throw errors.missing('code', ' (the exchange error code to answer with, e.g. "-2019")');
    const message = optionalText(params, 'message', errors) ?? `injected fault: order rejected with code ${code}`;
    board.armOrderReject(accountId, { count, code, message });
    return { accountId, reject: board.armed().orders.find((a) => a.accountId === accountId)!.reject };
  });

  app.post('/faults/stream', async (request) => {
    const params = bodyOf(request.body, STREAM_FIELDS);
    const accountId = accountOf(params);
    const action = requiredChoice(params, 'action', STREAM_ACTIONS, errors);
    let spec: StreamFaultSpec;
    if (action === 'drop') spec = { kind: 'drop' };
    else if (action === 'dropAfter') spec = { kind: 'dropAfter', pushes: requiredWholeNumber(params, 'pushes', 0, MAX_FAULT_COUNT, errors) };
    else spec = { kind: 'delay', ms: requiredWholeNumber(params, 'ms', 0, MAX_DELAY_MS, errors) };
    const applies = action === 'dropAfter' ? 'pushes' : action === 'delay' ? 'ms' : null;
    for (const name of ['pushes', 'ms']) {
      if (name !== applies && params[name] !== undefined) throw adminError(400, `"${name}" does not apply to action "${action}"`);
    }
    return { accountId, action, connections: board.armStream(accountId, spec) };
  });

  app.post('/faults/credentials', async (request) => {
    const accountId = accountOf(bodyOf(request.body, ['accountId']));
    return { accountId, expired: await board.expireCredentials(accountId) };
  });

  app.get('/faults', async () => board.armed());

  app.delete('/faults', async (request) => {
    const query = request.query as RawParams;
    for (const name of Object.keys(query)) if (name !== 'accountId') throw adminError(400, `unknown parameter "${name}": DELETE /faults takes "accountId"`);
    const accountId = optionalWholeNumber(query, 'accountId', 0, Number.MAX_SAFE_INTEGER, errors);
    return { cleared: board.clear(accountId) };
  });
}
