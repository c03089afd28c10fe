/**
 * Stands in for `@aws-sdk/endpoint-cache` in the deployed bundles only (lib/bundling.ts aliases it
 * here; tests and `npm run dev` use the real package). The DynamoDB client builds an endpoint cache
 * for endpoint discovery, which this project never turns on; the package keeps it in mnemonist's LRU
 * cache, which with its helpers is about 7.3 KB of every handler that uses DynamoDB. This is the same
 * class (same methods, same expiry and least-recently-used eviction) on a `Map`, which keeps its keys
 * in insertion order: `test/unit/endpoint-cache.test.ts` runs both side by side.
 */

/** An endpoint as DescribeEndpoints answers it. */
export interface Endpoint {
  Address: string;
  CachePeriodInMinutes: number;
}

interface EndpointWithExpiry {
  Address: string;
  Expires: number;
}

export class EndpointCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, EndpointWithExpiry[]>();

  constructor(capacity: number) {
    if (!(capacity > 0)) throw new Error('endpoint cache: capacity should be positive number.');
    this.#capacity = capacity;
  }

  /** A random unexpired endpoint's address for `key` (undefined when none). */
  getEndpoint(key: string): string | undefined {
    const endpoints = this.get(key);
    if (!endpoints || endpoints.length === 0) return undefined;
    return endpoints[Math.floor(Math.random() * endpoints.length)]?.Address;
  }

  /** The unexpired endpoints of `key` (the key becomes the most recently used); none: forgotten. */
  get(key: string): EndpointWithExpiry[] | undefined {
    if (!this.has(key)) return undefined;
    const value = this.#entries.get(key);
    if (!value) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    const now = Date.now();
    const live = value.filter((endpoint) => now < endpoint.Expires);
    if (live.length === 0) {
      this.delete(key);
      return undefined;
    }
    return live;
  }

  set(key: string, endpoints: readonly Endpoint[]): void {
    const now = Date.now();
    this.#put(
      key,
      endpoints.map(({ Address, CachePeriodInMinutes }) => ({
        Address,
        Expires: now + CachePeriodInMinutes * 60 * 1000,
      })),
    );
  }

  delete(key: string): void {
    this.#put(key, []);
  }

  /** Whether `key` has endpoints (expired or not), without making it the most recently used. */
  has(key: string): boolean {
    return (this.#entries.get(key)?.length ?? 0) > 0;
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Sets `key` as the most recently used; the least recently used goes when over capacity. */
  #put(key: string, value: EndpointWithExpiry[]): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
