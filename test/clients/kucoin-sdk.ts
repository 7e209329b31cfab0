/**
 * kucoin-universal-sdk as its README sets it up: a DefaultClient on perpstream's two KuCoin hosts
 * with the SDK's default transport and WebSocket options, and its futures private stream subscribed
 * the SDK's way (bullet-private for a token and the address, connect, one subscribe per topic).
 */
import { ClientOptionBuilder, DefaultClient, type Futures, TransportOptionBuilder, WebSocketClientOptionBuilder } from 'kucoin-universal-sdk';
import type { Created } from '../support/xt-client.js';
import { within } from './support.js';

export function kucoinSdkClient(url: string, user: Created): DefaultClient {
  const option = new ClientOptionBuilder()
    .setKey(user.apiKey).setSecret(user.secret).setPassphrase(user.passphrase)
    .setSpotEndpoint(`${url}/kucoin-spot`).setFuturesEndpoint(`${url}/kucoin-futures`)
    .setTransportOption(new TransportOptionBuilder().build()).setWebSocketClientOption(new WebSocketClientOptionBuilder().build())
    .build();
  return new DefaultClient(option);
}

/** The futures private stream, started and subscribed to `symbol`'s orders and position and to the balance. */
export async function futuresPrivateStream(client: DefaultClient, symbol: string, record: (topic: string, subject: string, data: unknown) => void): Promise<Futures.FuturesPrivateWS> {
  const stream = client.wsService().newFuturesPrivateWS();
  await within(stream.start(), 'start the private WebSocket');
  await within(stream.order(symbol, record), 'subscribe order');
  await within(stream.position(symbol, record), 'subscribe position');
  await within(stream.balance(record), 'subscribe balance');
  return stream;
}
