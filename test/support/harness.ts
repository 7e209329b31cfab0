/**
 * The one way tests start a server: a real perpstream on a free port (in memory, or over a data
 * directory when the options give one), its admin client, funded accounts — with that exchange's
 * defaults when a dialect is named — and, for XT, signed REST clients and open stream connections.
 * Each dialect's fixture (test/binance/support.ts, test/bybit/client.ts, test/kucoin/fixture.ts,
 * the ccxt fixtures, the fuzz world) builds its clients on top of this.
 */
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { AdminClient, StreamClient, XtClient, type Created, type Dialect, type Push } from './xt-client.js';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestAccount {
  accountId: number;
  apiKey: string;
  secret: string;
  rest: XtClient;
  stream: StreamClient;
  listenKey: string;
}

export class Harness {
  private readonly streams: StreamClient[] = [];

  private constructor(readonly server: RunningServer, readonly admin: AdminClient) {}

  static async start(options: Partial<ServerOptions> = {}): Promise<Harness> {
    const server = await startServer({ symbols: DEMO_SYMBOLS, adminToken: ADMIN_TOKEN, dataDir: null, port: 0, ...options });
    return new Harness(server, new AdminClient(server.url, ADMIN_TOKEN));
  }

  /** The server's clock (a test's ManualTime, when it passed one): what signed requests are stamped with. */
  now(): number {
    return this.server.exchange.now();
  }

  /** A new account (with `dialect`'s defaults when given) holding `deposit` USDT: its credentials only. */
  async created(deposit = '10000', dialect?: Dialect): Promise<Created> {
    const created = await this.admin.createAccount(dialect);
    if (deposit !== '0') await this.admin.deposit(created.accountId, deposit);
    return created;
  }

  /** A new account with `deposit` USDT, a signed client, and a stream subscribed to `topics`. */
  async account(deposit = '10000', topics: readonly string[] = ['balance', 'position', 'trade', 'order', 'notify']): Promise<TestAccount> {
    const created = await this.admin.createAccount();
    if (deposit !== '0') await this.admin.deposit(created.accountId, deposit);
    const rest = new XtClient(this.server.url, created.apiKey, created.secret);
    rest.now = () => this.now();
    const listenKey = await rest.listenKey();
    const stream = await StreamClient.connect(this.server.wsUrl);
    this.streams.push(stream);
    const ack = await stream.subscribe(listenKey, topics);
    if (ack.code !== 0) throw new Error(`subscribe failed: ${JSON.stringify(ack)}`);
    return { ...created, rest, stream, listenKey };
  }

  async stop(): Promise<void> {
    for (const stream of this.streams) stream.close();
    await this.server.close();
  }
}

/** Waits until the stream holds `count` pushes after `from`, and returns them. */
export async function nextPushes(stream: StreamClient, from: number, count: number): Promise<Push[]> {
  await stream.until(() => stream.pushes.length >= from + count, 5_000, `${count} pushes after #${from}`);
  return stream.pushes.slice(from, from + count);
}

