// Tests of DuetData live beside this file, one suite per part.
