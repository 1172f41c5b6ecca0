-- A worked session: fit a model on a table with holes, fill them, make
-- synthetic rows, and list the least plausible rows. Run by `make demo`
-- after samples/demo.sh has loaded the table `sleep`.
.load ./vae
.mode box
.print '== the table: 62 species, NULL = not measured'
SELECT count(*) AS rows_, sum(sws IS NULL) AS sws_missing, sum(ps IS NULL) AS ps_missing,
       sum(ts IS NULL) AS ts_missing, sum(mls IS NULL) AS mls_missing, sum(gt IS NULL) AS gt_missing
FROM sleep;

.print '== vae_fit: train on every column (species is an id: left out automatically)'
SELECT json_extract(r, '$.rows') AS rows_, json_extract(r, '$.epochs') AS epochs,
       round(json_extract(r, '$.seconds'), 2) AS seconds,
       (SELECT group_concat(json_extract(value, '$.column'), ', ')
          FROM json_each(r, '$.skipped')) AS left_out
FROM (SELECT vae_fit('sleep', 'sleep', '{"seed": 1}') AS r);

.print '== held-out imputation error per column (RMSE / sd), from the report'
SELECT key AS column_, round(value, 3) AS error
FROM vae_models, json_each(report, '$.holdout_error') WHERE name = 'sleep';

.print '== vae_impute: the estimate for rows with ps missing'
SELECT species, sws, ps AS ps_before,
       round(vae_impute('sleep', 'ps', bw, brw, sws, ps, ts, mls, gt, pi, sei, odi), 2) AS ps_imputed
FROM sleep WHERE ps IS NULL LIMIT 5;

.print '== vae_fill: fill every NULL of the table in place'
SELECT vae_fill('sleep', 'sleep') AS cells_filled;
SELECT sum(sws IS NULL) + sum(ps IS NULL) + sum(ts IS NULL) + sum(mls IS NULL) + sum(gt IS NULL)
       AS nulls_left FROM sleep;

.print '== vae_sample: three synthetic species'
SELECT value FROM vae_sample('sleep', 3, 7);

.print '== vae_score: the least plausible rows under the model'
SELECT species, round(vae_score('sleep', bw, brw, sws, ps, ts, mls, gt, pi, sei, odi), 1) AS score
FROM sleep ORDER BY score DESC LIMIT 3;
