/**
 * Connections that never authenticate cannot exhaust the process (issue 10, item 3): stream
 * connections are capped below the open-file limit with a reserve for REST, admin and data files;
 * connections that have not subscribed or authenticated are bounded in number (503 at the upgrade)
 * and closed after a deadline (4010) however often they ping. The last test runs the real process
 * under a low `ulimit -n` and floods it with idle connections.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { connectionBudget, FILE_RESERVE, MIN_HTTP_RESERVE } from '../../src/gateway/descriptors.js';
import { CloseCode } from '../../src/gateway/limits.js';
import { ADMIN_TOKEN, Harness } from '../support/harness.js';
import { upgrade } from '../support/ws-upgrade.js';
import { XtClient } from '../support/xt-client.js';
import { removeDir, ServerProcess, tempDir } from '../durability/support.js';

/** Waits for a connection's close frame (the server's deadline is the clock here, not the test). */
function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** A ping/pong round trip on XT's stream: proves the connection is served and open. */
function pingPong(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('message', () => resolve());
    socket.send('ping');
  });
}

async function gatewayStatus(url: string, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/admin/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  return ((await response.json()) as { gateway: Record<string, unknown> }).gateway;
}

describe('connection budget from the open-file limit', () => {
  test('streams get what is left after the file and HTTP reserves; an unknown limit keeps the configured bound', () => {
    assert.deepEqual(connectionBudget(50_000, 1024), { fileLimit: 1024, maxStreams: 1024 - FILE_RESERVE - 103, maxSockets: 1024 - FILE_RESERVE });
    assert.deepEqual(connectionBudget(50_000, 256), { fileLimit: 256, maxStreams: 256 - FILE_RESERVE - MIN_HTTP_RESERVE, maxSockets: 256 - FILE_RESERVE });
    assert.deepEqual(connectionBudget(500, 1_000_000), { fileLimit: 1_000_000, maxStreams: 500, maxSockets: 1_000_000 - FILE_RESERVE });
    assert.deepEqual(connectionBudget(500, null), { fileLimit: null, maxStreams: 500, maxSockets: null });
  });
});

describe('connections that have not subscribed or authenticated', () => {
  let harness: Harness;
  before(async () => {
    harness = await Harness.start({ limits: { maxUnauthenticated: 4, authDeadlineMs: 400 }, xtIdleMs: 60_000 });
  });
  after(() => harness.stop());

  test('are bounded in number: the next upgrade is answered 503 at once while REST keeps serving', async () => {
    const idle: WebSocket[] = [];
    for (let i = 0; i < 4; i++) {
      const outcome = await upgrade(`${harness.server.wsUrl}/ws/user`);
      assert.ok('opened' in outcome, JSON.stringify(outcome));
      idle.push(outcome.opened);
    }
    for (const path of ['/ws/user', '/bybit/v5/private']) {
      const refused = await upgrade(`${harness.server.wsUrl}${path}`);
      assert.ok('status' in refused, `${path} was accepted`);
      assert.equal(refused.status, 503);
      assert.match(refused.body, /have not subscribed or authenticated/);
    }
    assert.equal((await fetch(`${harness.server.url}/future/market/v1/public/symbol/list`)).status, 200);
    // An account that subscribes frees its slot among the unauthenticated.
    const account = await harness.admin.createAccount();
    const listenKey = await new XtClient(harness.server.url, account.apiKey, account.secret).listenKey();
    const subscribed = new Promise<void>((resolve) => idle[0]!.once('message', () => resolve()));
    idle[0]!.send(JSON.stringify({ method: 'SUBSCRIBE', params: [`order@${listenKey}`], id: '1' }));
    await subscribed;
    const admitted = await upgrade(`${harness.server.wsUrl}/ws/user`);
    assert.ok('opened' in admitted, JSON.stringify(admitted));
    const status = await gatewayStatus(harness.server.url, ADMIN_TOKEN);
    assert.equal(status.unauthenticated, 4);
    assert.ok((status.refusedUpgrades as number) >= 2);
    for (const socket of [...idle, admitted.opened]) socket.terminate();
  });

  test('are closed with 4010 after the deadline however often they ping; a subscribed one stays', async () => {
    const idle = await upgrade(`${harness.server.wsUrl}/ws/user`);
    const bybit = await upgrade(`${harness.server.wsUrl}/bybit/v5/private`);
    const served = await upgrade(`${harness.server.wsUrl}/ws/user`);
    assert.ok('opened' in idle && 'opened' in bybit && 'opened' in served);
    const account = await harness.admin.createAccount();
    const listenKey = await new XtClient(harness.server.url, account.apiKey, account.secret).listenKey();
    const acked = new Promise<void>((resolve) => served.opened.once('message', () => resolve()));
    served.opened.send(JSON.stringify({ method: 'SUBSCRIBE', params: [`order@${listenKey}`], id: '1' }));
    await acked;
    // Pings answered (the connection is served) do not count as subscribing.
    const pinging = setInterval(() => {
      if (idle.opened.readyState === WebSocket.OPEN) idle.opened.send('ping');
    }, 50);
    const [idleClose, bybitClose] = await Promise.all([closed(idle.opened), closed(bybit.opened)]);
    clearInterval(pinging);
    assert.equal(idleClose.code, CloseCode.AUTH_TIMEOUT);
    assert.match(idleClose.reason, /no valid subscribe or auth/);
    assert.equal(bybitClose.code, CloseCode.AUTH_TIMEOUT);
    await pingPong(served.opened);
    assert.equal(served.opened.readyState, WebSocket.OPEN);
    served.opened.terminate();
    assert.ok(((await gatewayStatus(harness.server.url, ADMIN_TOKEN)).authTimeouts as number) >= 2);
  });
});

describe('the real process under a low open-file limit', () => {
  const FILE_LIMIT = 256;
  let dir: string;
  let server: ServerProcess;
  before(async () => {
    dir = await tempDir('descriptors');
    server = await ServerProcess.start(dir, ADMIN_TOKEN, 20_000, FILE_LIMIT);
  });
  after(async () => {
    await server.kill('SIGKILL');
    await removeDir(dir);
  });

  test('a flood of idle stream connections gets 503s before descriptors run out; REST, admin and listen keys keep working', async () => {
    const status = await gatewayStatus(server.url, ADMIN_TOKEN);
    assert.equal(status.fileLimit, FILE_LIMIT);
    const maxConnections = status.maxConnections as number;
    assert.equal(maxConnections, FILE_LIMIT - FILE_RESERVE - MIN_HTTP_RESERVE);
    const opened: WebSocket[] = [];
    let refused = 0;
    for (let i = 0; i < maxConnections + 40; i++) {
      const outcome = await upgrade(`${server.wsUrl}/ws/user`);
      if ('opened' in outcome) opened.push(outcome.opened);
      else {
        assert.equal(outcome.status, 503, outcome.body);
        refused += 1;
      }
    }
    assert.equal(opened.length, maxConnections);
    assert.equal(refused, 40);
    // Everything else still answers, including a listen key (which writes a file).
    assert.equal((await fetch(`${server.url}/future/market/v1/public/symbol/list`)).status, 200);
    const created = await fetch(`${server.url}/admin/v1/accounts`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(created.status, 200);
    const account = (await created.json()) as { apiKey: string; secret: string };
    const timestamp = String(Date.now());
    const path = '/future/user/v1/user/listen-key';
    const signature = createHmac('sha256', account.secret).update(`validate-appkey=${account.apiKey}&validate-timestamp=${timestamp}#${path}`).digest('hex');
    const listenKey = await fetch(`${server.url}${path}`, { headers: { 'validate-appkey': account.apiKey, 'validate-timestamp': timestamp, 'validate-signature': signature } });
    assert.equal(listenKey.status, 200, await listenKey.clone().text());
    assert.equal(((await listenKey.json()) as { returnCode: number }).returnCode, 0);
    for (const socket of opened) socket.terminate();
  });
});
