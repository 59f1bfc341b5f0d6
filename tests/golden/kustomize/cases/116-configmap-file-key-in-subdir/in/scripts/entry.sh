#!/bin/sh
echo "hi"
