// Page bodies as the tests' server sends them, built from the shared real-response fixtures
// (racing-api.md §6-8, 2025-10-13), plus a horse profile and a courses page.
import { racecardRace, resultRace } from '../helpers/api-fixtures.ts';

export const resultsPageBody = {
  results: [resultRace()],
  total: 31,
  limit: 50,
  skip: 0,
  query: [
    ['start_date', '2025-10-13'],
    ['end_date', '2025-10-13'],
  ],
};

export const racecardsPageBody = {
  racecards: [racecardRace()],
  total: 39,
  limit: 500,
  skip: 0,
  query: [['date', '2025-10-13']],
};

export const horseProBody = {
  id: 'hrs_6181308',
  breeder: "Liam Delahunty & Dick O'Hara",
  colour: 'b',
  colour_code: 'B',
  dam: 'Zapata I (IRE)',
  dam_id: 'dam_3194996',
  damsire: 'Thatching (GB)',
  damsire_id: 'dsi_2117444',
  dob: '2011-06-19',
  name: 'Flaggan (IRE)',
  sex: 'gelding',
  sex_code: 'G',
  sire: 'Stowaway (GB)',
  sire_id: 'sir_3188248',
};

export const coursesBody = {
  courses: [
    { id: 'crs_832', course: 'Aintree', region_code: 'gb', region: 'Great Britain' },
    { id: 'crs_4550', course: 'Ballinrobe', region_code: 'ire', region: 'Ireland' },
  ],
  total: 2,
};
