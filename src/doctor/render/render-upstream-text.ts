import type { UpstreamReport } from '../upstream/doctor-upstream.ts';
import type { StageResult } from '../upstream/stage-result.ts';
import { renderFindings, summaryLine, type TextStyle, table } from './text-style.ts';

/** The first failing stage and its meaning first, then every stage aligned, then the findings. */
export function renderUpstreamText(report: UpstreamReport, style: TextStyle): string {
  const lines: string[] = [
    style.bold(`ballast doctor upstream ${report.url}: ${summaryLine(report.findings)}`),
    '',
  ];
  if (report.firstFailure) {
    lines.push(style.bad(`${report.firstFailure.stage.toUpperCase()} fails first.`));
    if (report.firstFailure.meaning)
      lines.push(`That usually means ${report.firstFailure.meaning}.`);
    lines.push('');
  } else if (report.findings.length === 0) {
    lines.push(style.good('Every stage passes.'), '');
  }
  lines.push(
    ...table(
      report.stages.map((stage) => [
        stage.stage.toUpperCase(),
        statusText(stage, style),
        `${stage.durationMs} ms`,
        stage.summary,
      ]),
    ),
  );
  for (const stage of report.stages) {
    if (stage.details.length === 0) continue;
    lines.push('', style.bold(`${stage.stage.toUpperCase()} details`));
    for (const detail of stage.details) lines.push(`  ${detail}`);
  }
  if (report.findings.length > 0) lines.push('', ...renderFindings(report.findings, style));
  return `${lines.join('\n').trimEnd()}\n`;
}

function statusText(stage: StageResult, style: TextStyle): string {
  if (stage.status === 'ok') return style.good('ok');
  if (stage.status === 'warn') return style.severity('warning', 'warn');
  if (stage.status === 'fail') return style.bad('FAIL');
  return style.dim('skipped');
}
