/**
 * The printed report: one renderer per section, each a list of Markdown lines (also pasted into
 * docs/performance.md), or nothing when its part did not run. The sections of times are in
 * report-timing.ts, those of units, prices and sizes in report-cost.ts; the table in report-table.ts.
 */
import { coldStartSection, costSection, pushSection, scaleSection } from './report-cost.ts';
import { type Section, table } from './report-table.ts';
import { busySection, floorSection, latencySection, throughputSection } from './report-timing.ts';
import type { BenchResults } from './results.ts';
import { renderHook } from './scenarios/hook.ts';
import { renderMedia } from './scenarios/media.ts';
import { renderReactions } from './scenarios/reactions.ts';
import { renderWaves } from './scenarios/waves.ts';

const machineSection: Section = (r) => [
  `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load average ${r.machine.loadAverage.start} → ${r.machine.loadAverage.end}; run took ${r.durationSeconds} s (${r.startedAt}); ` +
    `phases: ${Object.entries(r.phaseSeconds)
      .map(([k, v]) => `${k} ${v} s`)
      .join(', ')}.`,
];

const mediaSection: Section = ({ media }) => (media ? [renderMedia(media, table)] : []);

const reactionsSection: Section = ({ reactions }) => (reactions ? [renderReactions(reactions, table)] : []);

const hookSection: Section = ({ hook }) => (hook ? [renderHook(hook, table)] : []);
const wavesSection: Section = ({ waves }) => (waves ? [renderWaves(waves, table)] : []);

const targetsSection: Section = (r) => [
  '\n### Targets\n',
  table(
    ['target', 'goal', 'measured', 'status'],
    r.targets.map((t) => [t.name, t.goal, t.measured, t.status]),
  ),
  `\nDelivery: ${r.ok ? 'OK' : 'FAILED'} (${JSON.stringify(r.delivery)})`,
];

const SECTIONS: readonly Section[] = [
  machineSection,
  floorSection,
  latencySection,
  busySection,
  throughputSection,
  costSection,
  mediaSection,
  coldStartSection,
  pushSection,
  reactionsSection,
  hookSection,
  wavesSection,
  scaleSection,
  targetsSection,
];

/** Markdown tables of every figure, section by section. */
export function render(r: BenchResults): string {
  return SECTIONS.flatMap((section) => section(r)).join('\n');
}
