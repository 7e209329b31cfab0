/**
 * A perpstream server for a KuCoin test file, and funded accounts with a signed KuCoin client.
 * Accounts are created for KuCoin (one-way, every contract ISOLATED: what an order without
 * `marginMode` needs); a hedge-mode account is switched through KuCoin's own endpoint, and a test
 * about cross margin switches the contract with KuCoin's changeMarginMode and says CROSS on its orders.
 */
import type { ServerOptions } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import { KucoinRest } from './client.js';

export interface KucoinAccount {
  accountId: number;
  apiKey: string;
  secret: string;
  passphrase: string;
  rest: KucoinRest;
}

export class KucoinFixture {
  private constructor(readonly harness: Harness) {}

  static async start(options: Partial<ServerOptions> = {}): Promise<KucoinFixture> {
    const harness = await Harness.start(options);
    await harness.admin.markPrice('btc_usdt', '60000');
    await harness.admin.markPrice('eth_usdt', '3000');
    return new KucoinFixture(harness);
  }

  get url(): string {
    return this.harness.server.url;
  }

  get wsUrl(): string {
    return this.harness.server.wsUrl;
  }

  get exchange() {
    return this.harness.server.exchange;
  }

  async account(deposit = '1000', mode: 'ONE_WAY' | 'HEDGE' = 'ONE_WAY'): Promise<KucoinAccount> {
    const created = await this.harness.admin.createAccount('kucoin');
    if (deposit !== '0') await this.harness.admin.deposit(created.accountId, deposit);
    const rest = new KucoinRest(this.url, created.apiKey, created.secret, created.passphrase);
    rest.now = () => this.harness.now();
    if (mode === 'HEDGE') KucoinRest.data(await rest.post('/api/v2/position/switchPositionMode', { positionMode: '1' }));
    return { ...created, rest };
  }

  view(accountId: number) {
    const state = this.exchange.engine.account(accountId);
    if (state === undefined) throw new Error(`no account ${accountId}`);
    return state.view;
  }

  /** The engine's sequence number: a refused request must not move it. */
  get cmdSeq(): number {
    return this.exchange.engine.cmdSeq;
  }

  stop(): Promise<void> {
    return this.harness.stop();
  }
}
