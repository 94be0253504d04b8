import * as path from 'node:path';
import * as ts from 'typescript';

describe('builder types', () => {
  it('make a release without an aggregation a type error (every @ts-expect-error is used)', () => {
    const root = path.resolve(__dirname, '..', '..');
    const cfg = ts.getParsedCommandLineOfConfigFile(
      path.join(root, 'tsconfig.test.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: d => {
          throw new Error(String(d.messageText));
        }
      }
    );
    const file = path.join(__dirname, 'fixtures', 'typing.ts');
    const program = ts.createProgram([file], { ...cfg!.options, noEmit: true });
    const diags = ts.getPreEmitDiagnostics(program, program.getSourceFile(file));
    const text = diags.map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(text).toEqual([]);
  }, 60000);
});
