/**
 * KuCoin's public-data clients pointed at a started server, with their defaults: ccxt's
 * `kucoinfutures` (classic account, every KuCoin host mapped to the dialect's prefixes, markets
 * loaded) and the official kucoin-universal-sdk's futures market API.
 */
import ccxt, { type kucoinfutures } from 'ccxt';
import { ClientOptionBuilder, DefaultClient, TransportOptionBuilder } from 'kucoin-universal-sdk';
import { withTimeout } from '../support/timeout.js';
import type { Harness } from '../support/harness.js';
import { KucoinSymbols } from '../../src/dialects/kucoin/symbols.js';

export async function publicKucoinFutures(serverUrl: string, timeoutMs: number): Promise<kucoinfutures> {
  const ex = new ccxt.kucoinfutures({ enableRateLimit: false, has: { fetchCurrencies: false }, options: { uta: false, hf: false },
    urls: { api: { public: `${serverUrl}/kucoin-spot`, private: `${serverUrl}/kucoin-spot`, utaPrivate: `${serverUrl}/kucoin-spot`, uta: `${serverUrl}/kucoin-spot`,
      utaV2: `${serverUrl}/kucoin-spot`, futuresPublic: `${serverUrl}/kucoin-futures`, futuresPrivate: `${serverUrl}/kucoin-futures` } } });
  await withTimeout(ex.loadMarkets(), timeoutMs, 'loadMarkets');
  return ex;
}

export function kucoinSdkFuturesMarket(serverUrl: string) {
  const client = new DefaultClient(new ClientOptionBuilder().setSpotEndpoint(`${serverUrl}/kucoin-spot`).setFuturesEndpoint(`${serverUrl}/kucoin-futures`)
    .setTransportOption(new TransportOptionBuilder().build()).build());
  return client.restService().getFuturesService().getMarketApi();
}

/** The KuCoin names of the contracts a server lists, in its order (more than XBTUSDTM and ETHUSDTM when coin-margined ones are configured). */
export function listedNames(harness: Harness): string[] {
  return new KucoinSymbols(harness.server.exchange.engine.symbols()).names();
}
