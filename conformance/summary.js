// A reporter for node --test that closes the run with the failing checks and
// one line: "conformance: N passed, N failed, N skipped". Suites are not
// counted; a test whose subtests fail is listed with them.
import { relative } from 'node:path';

export default async function* summary(source) {
  const failed = [];
  let passed = 0, skipped = 0;
  for await (const { type, data } of source) {
    if (data?.details?.type === 'suite' || (type !== 'test:pass' && type !== 'test:fail')) continue;
    if (data.skip || data.todo) skipped++;
    else if (type === 'test:pass') passed++;
    else failed.push(`${data.file ? relative(process.cwd(), data.file) : '?'}: ${data.name}`);
  }
  if (failed.length) yield `\nFailing checks:\n${failed.map((f) => `  ✖ ${f}\n`).join('')}`;
  yield `\nconformance: ${passed} passed, ${failed.length} failed, ${skipped} skipped\n`;
}
