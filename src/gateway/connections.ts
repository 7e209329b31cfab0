/**
 * Counts stream connections per account and in total, so the gateway can enforce the limits.
 */
export class ConnectionCounter {
  private total = 0;
  private readonly perAccount = new Map<number, number>();

  constructor(private readonly maxPerAccount: number, private readonly maxTotal: number) {}

  get count(): number {
    return this.total;
  }

  /** Whether the process may accept another connection. */
  hasRoom(): boolean {
    return this.total < this.maxTotal;
  }

  openConnection(): void {
    this.total += 1;
  }

  closeConnection(): void {
    this.total -= 1;
  }

  /** Binds a connection to an account; false when the account already holds its maximum. */
  bindAccount(accountId: number): boolean {
    const held = this.perAccount.get(accountId) ?? 0;
    if (held >= this.maxPerAccount) return false;
    this.perAccount.set(accountId, held + 1);
    return true;
  }

  unbindAccount(accountId: number): void {
    const held = (this.perAccount.get(accountId) ?? 1) - 1;
    if (held <= 0) this.perAccount.delete(accountId);
    else this.perAccount.set(accountId, held);
  }
}
