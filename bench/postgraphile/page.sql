-- The page of bench/compare.py built by PostgreSQL alone, as one statement: the first 50
-- residents under a division (ordered by id), each with their cases (by id), each case with its
-- entitlement (lowest id) and that entitlement's last 12 payments (highest ids, ascending).
-- It returns the GraphQL response mzhub sends, global ids included, without masking.
--
--   pgbench -n -M prepared -f bench/postgraphile/page.sql -D low=640122001000 \
--     -D high=640122001999 -c 10 -j 2 -T 10 mzhub_bench_compare
--
-- :low and :high are the inclusive range of 12-digit codes under the division (its prefix padded
-- with 0s and with 9s), the same range both servers put in their WHERE clause.
select json_build_object('data', json_build_object('residents', json_build_object('edges',
  coalesce((
    select json_agg(json_build_object('node', json_build_object(
      'id', translate(rtrim(encode(convert_to('Resident:' || r.id, 'UTF8'), 'base64'), '='),
                      '+/', '-_'),
      'name', r.name,
      'idNumber', r.id_number,
      'phone', r.phone,
      'address', r.address,
      'cases', coalesce((
        select json_agg(json_build_object(
          'id', translate(rtrim(encode(convert_to('Case:' || c.id, 'UTF8'), 'base64'), '='),
                          '+/', '-_'),
          'caseNumber', c.case_number,
          'status', c.status,
          'submittedAt', c.submitted_at,
          'entitlement', (
            select json_build_object(
              'id', translate(rtrim(encode(convert_to('Entitlement:' || e.id, 'UTF8'), 'base64'),
                                    '='), '+/', '-_'),
              'monthlyAmount', e.monthly_amount,
              'payments', coalesce((
                select json_agg(json_build_object(
                  'id', translate(rtrim(encode(convert_to('Payment:' || p.id, 'UTF8'), 'base64'),
                                        '='), '+/', '-_'),
                  'period', p.period,
                  'amount', p.amount,
                  'status', p.status) order by p.id)
                from (select * from payments
                      where entitlement_id = e.id order by id desc limit 12) as p), '[]'))
            from entitlements as e
            where e.case_id = c.id
            order by e.id
            limit 1)) order by c.id)
        from cases as c
        where c.applicant_id = r.id), '[]'))) order by r.id)
    from (select * from residents
          where division_code between :low and :high order by id limit 50) as r), '[]'))));
