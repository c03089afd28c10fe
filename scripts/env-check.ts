/**
 * The environment check's logic, free of I/O (scripts/check-env.ts runs it; test/unit/check-env.test.ts
 * proves it on small fixtures): every environment variable a function USED during the tests
 * (lambdas/shared/env-use.ts records those whose value was set) must be set by that function's
 * synthesized definition in every variant that deploys the function, or, for a variable of an optional
 * setting, in every such variant with the setting on; unless Lambda's runtime provides it, or a
 * reasoned allow-list entry says why the local value has no counterpart on AWS.
 */
import type { EnvUse } from '../lambdas/shared/env-use.ts';

/** One synthesized variant: its functions' environments and the optional settings it turns on. */
export interface VariantEnv {
  readonly name: string;
  /** Each deployed function (by its invocations' name) → the variables its definition sets. */
  readonly functions: ReadonlyMap<string, ReadonlySet<string>>;
  /** The optional settings on in this variant (names of `EnvCheckRules.featureOf`'s values). */
  readonly features: ReadonlySet<string>;
}

/** A variable a function may use unset on AWS, with the reason. */
export interface EnvAllowListEntry {
  /** The function, or `*` for any. */
  readonly fn: string;
  readonly name: string;
  readonly reason: string;
}

export interface EnvCheckRules {
  /** Variables Lambda's runtime sets in every function (AWS_REGION, …). */
  readonly runtime: ReadonlySet<string>;
  /** A variable of an optional setting → the setting (checked only in variants that turn it on). */
  readonly featureOf: Readonly<Record<string, string>>;
  readonly allowList: readonly EnvAllowListEntry[];
}

export interface EnvReport {
  /** Uses that some deployed definition does not back: the production gaps. */
  readonly missing: string[];
  /** Uses kept by the allow-list, with its reason. */
  readonly allowListed: string[];
  /** Allow-list entries no use needed (after a full run: remove them). */
  readonly stale: readonly EnvAllowListEntry[];
  /** Distinct (function, variable) uses checked, and those made outside any invocation (not checked). */
  readonly checked: number;
  readonly unattributed: number;
  readonly ok: boolean;
}

export function checkEnv(
  uses: readonly EnvUse[],
  variants: readonly VariantEnv[],
  rules: EnvCheckRules,
): EnvReport {
  const distinct = new Map<string, EnvUse>();
  for (const use of uses) distinct.set(`${use.fn}\n${use.name}`, use);
  const missing: string[] = [];
  const allowListed: string[] = [];
  const used = new Set<EnvAllowListEntry>();
  let unattributed = 0;
  for (const { fn, name } of distinct.values()) {
    if (fn === null) {
      unattributed++;
      continue;
    }
    if (rules.runtime.has(name)) continue;
    const deployed = variants.filter((v) => v.functions.has(fn));
    if (deployed.length === 0) {
      missing.push(`${fn} uses ${name}, but no synthesized variant deploys a function named ${fn}`);
      continue;
    }
    const feature = rules.featureOf[name];
    const relevant = feature ? deployed.filter((v) => v.features.has(feature)) : deployed;
    if (relevant.length === 0) {
      missing.push(
        `${fn} uses ${name} (setting ${feature}), but no variant that deploys it turns ${feature} on`,
      );
      continue;
    }
    const lacking = relevant.filter((v) => !v.functions.get(fn)?.has(name)).map((v) => v.name);
    if (lacking.length === 0) continue;
    const entry = rules.allowList.find((e) => e.name === name && (e.fn === fn || e.fn === '*'));
    if (entry) {
      used.add(entry);
      allowListed.push(`${fn}: ${name} — ${entry.reason}`);
      continue;
    }
    missing.push(
      `${fn} uses ${name}, which its definition does not set (variants: ${lacking.join(', ')}): ` +
        'on AWS it would run without it',
    );
  }
  const stale = rules.allowList.filter((e) => !used.has(e));
  return {
    missing: missing.sort(),
    allowListed: allowListed.sort(),
    stale,
    checked: distinct.size - unattributed,
    unattributed,
    ok: missing.length === 0 && stale.length === 0,
  };
}
