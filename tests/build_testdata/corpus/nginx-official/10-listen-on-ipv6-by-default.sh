#!/bin/sh
# nothing
