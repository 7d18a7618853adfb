import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { exportRuns, parseExportedRuns, runsToCsv } from './runExchange';
import { run } from './runFixture';
import { RUN_RECORD_VERSION } from './runMigration';

describe('export and import', () => {
  it('refuses a stored option of the wrong kind rather than guessing', () => {
    const text = exportRuns([run('a', { config: { ...DEFAULT_CONFIG, batchNorm: true } })]).replace('"batchNorm": true', '"batchNorm": "yes"');
    expect(parseExportedRuns(text).ok).toBe(false);
  });

  it('round-trips runs exactly', () => {
    const runs = [run('a'), run('b', { name: 'bs "8"', status: 'failed', error: 'Loss became NaN' })];
    const text = exportRuns(runs);
    expect(JSON.parse(text).version).toBe(RUN_RECORD_VERSION);
    expect(parseExportedRuns(text)).toEqual({ ok: true, runs });
  });

  it.each([
    ['not JSON', '{"format": ', /not JSON/],
    ['foreign JSON', JSON.stringify({ hello: 'world' }), /not a run export of this playground/],
    ['a damaged run', JSON.stringify({ format: 'googlenet-playground-runs', runs: [{ id: 'x' }] }), /Run 1 in this file is damaged/],
    ['a run with a bad metric', exportRuns([run('a')]).replace('"trainLoss": 2.3', '"trainLoss": "high"'), /damaged/],
  ])('refuses %s with a message', (_, text, message) => {
    const result = parseExportedRuns(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('writes a CSV row per run with its settings and latest figures', () => {
    const csv = runsToCsv([run('a', { name: 'say "hi"' })]).trim().split('\n');
    expect(csv[0]).toBe(
      'name,status,backend,epochs_done,batchSize,learningRate,epochs,trainSubset,testSubset,resolution,width,seed,' +
        'model,auxHeads,dropout,batchNorm,bnStats,activation,factorize5x5,poolBranch,init,optimizer,weightDecay,schedule,stepSize,' +
        'gamma,warmupEpochs,cropPadding,flip,train_loss,train_acc,test_acc,examples_per_sec',
    );
    expect(csv[1]).toBe(
      '"say ""hi""","done","webgpu",1,8,0.05,25,60000,10000,96,1,1,d2l,0,0,0,running,relu,0,max,xavier,sgd,0,constant,10,0.1,0,0,0,' +
        '2.3,0.1,0.12,9',
    );
  });
});
